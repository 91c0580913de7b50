using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// torchvision's ResNet without its classifier: stem, layer1..layer4 (widths 64, 128, 256,
/// 512 × the block's expansion; strides 1, 2, 2, 2), global average pool. Output [N, 512]
/// for ResNet-18/34, [N, 2048] for ResNet-50. State-dict keys match torchvision's
/// ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight").
/// Stems: "imagenet" = 7×7 conv stride 2 padding 3 + BN-ReLU + 3×3/2 max-pool (padding 1);
/// "cifar" = 3×3 conv stride 1 padding 1 + BN-ReLU, no max-pool (the SimCLR CIFAR variant).
/// Initialisation as torchvision: convs Kaiming normal (fan_out, ReLU), BN γ = 1, β = 0; the
/// last BN of each block is NOT zero-initialised (torchvision's zero_init_residual = False).
/// </summary>
public sealed class ResNet : Encoder
{
    public static readonly string[] Stems = ["cifar", "imagenet"];

    private readonly Conv2d conv1;
    private readonly BatchNorm bn1;
    private readonly MaxPool2d? maxpool;
    private readonly Sequential[] layers;
    private readonly IResidualBlock[] residualBlocks;   // layer1..layer4's blocks in order
    private readonly string arch;
    private readonly int featureDim;

    private ResNet(IBackend backend, string arch, bool bottleneck, int[] blocks, int inChannels, string stem, RandomStream rng) : base(backend)
    {
        if (inChannels < 1) throw new ArgumentException($"ResNet: inChannels must be ≥ 1, got {inChannels}.");
        if (!Stems.Contains(stem))
            throw new ArgumentException($"Unknown ResNet stem '{stem}'; expected one of: {string.Join(", ", Stems)}.", nameof(stem));
        this.arch = arch;
        Stem = stem;
        conv1 = stem == "imagenet"
            ? AddModule("conv1", new Conv2d(backend, inChannels, 64, 7, rng, stride: 2, padding: 3, bias: false))
            : AddModule("conv1", new Conv2d(backend, inChannels, 64, 3, rng, stride: 1, padding: 1, bias: false));
        bn1 = AddModule("bn1", new BatchNorm(backend, 64, fusedRelu: true));
        if (stem == "imagenet") maxpool = AddModule("maxpool", new MaxPool2d(backend, 3, 2, 1));
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        int inPlanes = 64;
        layers = new Sequential[4];
        int[] widths = [64, 128, 256, 512];
        for (int l = 0; l < 4; l++)
        {
            var layer = new Sequential(backend);
            for (int b = 0; b < blocks[l]; b++)
            {
                int stride = b == 0 && l > 0 ? 2 : 1;
                layer.Add<Module>(bottleneck
                    ? new Bottleneck(backend, inPlanes, widths[l], stride, rng)
                    : new BasicBlock(backend, inPlanes, widths[l], stride, rng));
                inPlanes = widths[l] * expansion;
            }
            layers[l] = AddModule($"layer{l + 1}", layer);
        }
        featureDim = 512 * expansion;
        residualBlocks = layers.SelectMany(l => Enumerable.Range(0, l.Count).Select(i => (IResidualBlock)l[i])).ToArray();
    }

    public static ResNet ResNet18(IBackend backend, int inChannels, RandomStream rng, string stem = "cifar") =>
        new(backend, "resnet18", false, [2, 2, 2, 2], inChannels, stem, rng);

    public static ResNet ResNet34(IBackend backend, int inChannels, RandomStream rng, string stem = "cifar") =>
        new(backend, "resnet34", false, [3, 4, 6, 3], inChannels, stem, rng);

    public static ResNet ResNet50(IBackend backend, int inChannels, RandomStream rng, string stem = "cifar") =>
        new(backend, "resnet50", true, [3, 4, 6, 3], inChannels, stem, rng);

    public override int FeatureDim => featureDim;

    public override string Arch => arch;

    /// <summary>"cifar" or "imagenet".</summary>
    public string Stem { get; }

    /// <summary>
    /// The stem, then the blocks in order. An activation that only convolutions read — the input of a
    /// block whose shortcut is a projection — is stored for convolutions (bf16 at --precision bf16,
    /// <see cref="ConvInput"/>): the output of the block before it, or of the stem without max-pool.
    /// </summary>
    protected override Tensor Encode(Tensor x)
    {
        ConvInput h = maxpool is not null ? maxpool.Forward(bn1.ForwardConv(conv1, x))
            : residualBlocks[0].HasProjection ? bn1.ForwardConvForConv(conv1, x) : bn1.ForwardConv(conv1, x);
        for (int i = 0; i < residualBlocks.Length; i++)
            h = residualBlocks[i].Forward(h, outputForConv: i + 1 < residualBlocks.Length && residualBlocks[i + 1].HasProjection);
        return Ops.GlobalAvgPool(h.Fp32!);
    }

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        var y = bn1.ExportOnnx(graph, conv1.ExportOnnx(graph, input));
        if (maxpool is not null) y = maxpool.ExportOnnx(graph, y);
        foreach (var layer in layers) y = layer.ExportOnnx(graph, y);
        return GlobalAvgPool.ExportPool(graph, y);
    }
}
