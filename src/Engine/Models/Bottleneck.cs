using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// ResNet bottleneck block (ResNet-50), torchvision "v1.5" layout and names: 1×1 conv to
/// planes, 3×3 conv with the block's stride, 1×1 conv to planes·4, a BN after each (ReLU
/// fused into bn1 and bn2); out = relu(bn3(…) + shortcut(x)), shortcut = "downsample"
/// (1×1 conv with stride + BN) when the stride or width changes.
/// </summary>
public sealed class Bottleneck : Module, IResidualBlock
{
    public const int Expansion = 4;

    private readonly Conv2d conv1, conv2, conv3;
    private readonly BatchNorm bn1, bn2, bn3;
    private readonly Sequential? downsample;

    public Bottleneck(IBackend backend, int inPlanes, int planes, int stride, RandomStream rng) : base(backend)
    {
        conv1 = AddModule("conv1", new Conv2d(backend, inPlanes, planes, 1, rng, 1, 0, bias: false));
        bn1 = AddModule("bn1", new BatchNorm(backend, planes, fusedRelu: true));
        conv2 = AddModule("conv2", new Conv2d(backend, planes, planes, 3, rng, stride, 1, bias: false));
        bn2 = AddModule("bn2", new BatchNorm(backend, planes, fusedRelu: true));
        conv3 = AddModule("conv3", new Conv2d(backend, planes, planes * Expansion, 1, rng, 1, 0, bias: false));
        bn3 = AddModule("bn3", new BatchNorm(backend, planes * Expansion));
        if (Shortcut.Create(backend, inPlanes, planes * Expansion, stride, rng) is { } projection)
            downsample = AddModule("downsample", projection);
    }

    public override Tensor Forward(Tensor x) => Forward(x, outputForConv: false).Fp32!;

    public bool HasProjection => downsample is not null;

    public ConvInput Forward(ConvInput x, bool outputForConv)
    {
        var shortcut = Shortcut.Of(downsample, x, nameof(Bottleneck));
        // bn1's and bn2's outputs feed one convolution each: bf16 at --precision bf16 (ConvInput).
        var y = bn1.ForwardConvForConv(conv1, x);
        y = bn2.ForwardConvForConv(conv2, y);
        return outputForConv ? bn3.ForwardConvAddReluForConv(conv3, y, shortcut) : bn3.ForwardConvAddRelu(conv3, y, shortcut);
    }

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        var shortcut = downsample is null ? input : downsample.ExportOnnx(graph, input);
        var y = bn1.ExportOnnx(graph, conv1.ExportOnnx(graph, input));
        y = bn2.ExportOnnx(graph, conv2.ExportOnnx(graph, y));
        y = bn3.ExportOnnx(graph, conv3.ExportOnnx(graph, y));
        return graph.Node("Relu", [graph.Node("Add", [y, shortcut], 4)], 4);
    }
}
