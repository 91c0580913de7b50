using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Onnx;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// The small encoder of the Keras NNCLR example: four [Conv 3×3, stride 2, <c>width</c>
/// channels, ReLU], then Dense(width) with ReLU. Names "conv1".."conv4", "bn1".."bn4", "fc".
/// Adapted in three documented ways:
/// - convs pad by 1 (output ⌈H/2⌉, like Keras padding="same"; the example's "valid"
///   padding would shrink 28×28 Fashion-MNIST to nothing);
/// - the feature map is global-average pooled instead of flattened, so the dense layer's
///   input is <c>width</c> whatever the image size;
/// - each conv is followed by batch norm (conv bias dropped, ReLU fused into the BN), as in
///   every ResNet. Without it the post-ReLU features of all images share one dominant
///   direction (pairwise cosine ≈ 0.9 at initialisation), and NPID's memory bank, filled with
///   those features, collapses: its NCE loss climbs from 10 to ~1000 and kNN falls to chance
///   (measured on Fashion-MNIST, SGD lr 0.03 as lemniscate).
/// Weights use the same torchvision-style initialisation as the ResNets.
/// FeatureDim = width.
/// </summary>
public sealed class SmallEncoder : Encoder
{
    private readonly Conv2d[] convs = new Conv2d[4];
    private readonly BatchNorm[] norms = new BatchNorm[4];
    private readonly Linear fc;

    public SmallEncoder(IBackend backend, int inChannels, RandomStream rng, int width = 128) : base(backend)
    {
        if (inChannels < 1 || width < 1)
            throw new ArgumentException($"SmallEncoder: inChannels ({inChannels}) and width ({width}) must be ≥ 1.");
        Width = width;
        for (int i = 0; i < 4; i++)
        {
            convs[i] = AddModule($"conv{i + 1}", new Conv2d(backend, i == 0 ? inChannels : width, width, 3, rng, stride: 2, padding: 1, bias: false));
            norms[i] = AddModule($"bn{i + 1}", new BatchNorm(backend, width, fusedRelu: true));
        }
        fc = AddModule("fc", new Linear(backend, width, width, rng));
    }

    public int Width { get; }

    public override int FeatureDim => Width;

    public override string Arch => "small";

    protected override Tensor Encode(Tensor x)
    {
        // The first three blocks' outputs feed the next convolution alone: bf16 at --precision bf16 (ConvInput).
        ConvInput h = x;
        for (int i = 0; i < 3; i++) h = norms[i].ForwardConvForConv(convs[i], h);
        return Ops.Relu(fc.Forward(Ops.GlobalAvgPool(norms[3].ForwardConv(convs[3], h))));
    }

    public override string ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        for (int i = 0; i < 4; i++) input = norms[i].ExportOnnx(graph, convs[i].ExportOnnx(graph, input));
        string h = fc.ExportOnnx(graph, GlobalAvgPool.ExportPool(graph, input));
        return graph.Node("Relu", [h], 2);
    }
}
