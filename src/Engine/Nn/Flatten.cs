using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>[N, d1, d2, …] → [N, d1·d2·…]. No parameters.</summary>
public sealed class Flatten(IBackend backend) : Module(backend)
{
    public override Tensor Forward(Tensor x) => Ops.Flatten(x);

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) => graph.Node("Flatten", [input], 2, Onnx.OnnxAttribute.Of("axis", 1L));
}
