using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>[N,C,H,W] → [N,C], the mean over each plane (torch's AdaptiveAvgPool2d(1) + flatten). No parameters.</summary>
public sealed class GlobalAvgPool(IBackend backend) : Module(backend)
{
    public override Tensor Forward(Tensor x) => Ops.GlobalAvgPool(x);

    /// <summary>GlobalAveragePool ([N, C, 1, 1]) then Flatten to [N, C], as Ops.GlobalAvgPool.</summary>
    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) => ExportPool(graph, input);

    internal static string ExportPool(Onnx.OnnxGraphBuilder graph, string input) =>
        graph.Node("Flatten", [graph.Node("GlobalAveragePool", [input], 4)], 2, Onnx.OnnxAttribute.Of("axis", 1L));
}
