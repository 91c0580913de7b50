using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>y = max(x, 0). No parameters.</summary>
public sealed class Relu(IBackend backend) : Module(backend)
{
    public override Tensor Forward(Tensor x) => Ops.Relu(x);

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) => graph.Node("Relu", [input], graph.Rank(input));
}
