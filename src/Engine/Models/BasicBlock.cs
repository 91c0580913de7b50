using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// ResNet basic block (ResNet-18/34), torchvision layout and names:
/// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), conv1 3×3 with the block's
/// stride, conv2 3×3; shortcut = "downsample" (1×1 conv with stride + BN, as a Sequential
/// "0", "1") when the stride or width changes, else identity. bn1's ReLU is fused; its output feeds
/// conv2 alone, so at --precision bf16 it is stored in bf16 (<see cref="ConvInput"/>).
/// </summary>
public sealed class BasicBlock : Module, IResidualBlock
{
    public const int Expansion = 1;

    private readonly Conv2d conv1, conv2;
    private readonly BatchNorm bn1, bn2;
    private readonly Sequential? downsample;

    public BasicBlock(IBackend backend, int inPlanes, int planes, int stride, RandomStream rng) : base(backend)
    {
        conv1 = AddModule("conv1", new Conv2d(backend, inPlanes, planes, 3, rng, stride, 1, bias: false));
        bn1 = AddModule("bn1", new BatchNorm(backend, planes, fusedRelu: true));
        conv2 = AddModule("conv2", new Conv2d(backend, planes, planes, 3, rng, 1, 1, bias: false));
        bn2 = AddModule("bn2", new BatchNorm(backend, planes));
        if (Shortcut.Create(backend, inPlanes, planes * Expansion, stride, rng) is { } projection)
            downsample = AddModule("downsample", projection);
    }

    public override Tensor Forward(Tensor x) => Forward(x, outputForConv: false).Fp32!;

    public bool HasProjection => downsample is not null;

    public ConvInput Forward(ConvInput x, bool outputForConv)
    {
        var shortcut = Shortcut.Of(downsample, x, nameof(BasicBlock));
        var h = bn1.ForwardConvForConv(conv1, x);
        return outputForConv ? bn2.ForwardConvAddReluForConv(conv2, h, shortcut) : bn2.ForwardConvAddRelu(conv2, h, shortcut);
    }

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        var shortcut = downsample is null ? input : downsample.ExportOnnx(graph, input);
        var y = bn2.ExportOnnx(graph, conv2.ExportOnnx(graph, bn1.ExportOnnx(graph, conv1.ExportOnnx(graph, input))));
        return graph.Node("Relu", [graph.Node("Add", [y, shortcut], 4)], 4);
    }
}
