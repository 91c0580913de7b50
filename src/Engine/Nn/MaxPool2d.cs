using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>Max pooling over kernel×kernel windows of [N,C,H,W]. No parameters.</summary>
public sealed class MaxPool2d(IBackend backend, int kernelSize, int stride, int padding = 0) : Module(backend)
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => Ops.MaxPool2d(x, KernelSize, Stride, Padding);

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) =>
        graph.Node("MaxPool", [input], 4, Onnx.OnnxAttribute.Of("kernel_shape", KernelSize, KernelSize),
            Onnx.OnnxAttribute.Of("strides", Stride, Stride), Onnx.OnnxAttribute.Of("pads", Padding, Padding, Padding, Padding));
}
