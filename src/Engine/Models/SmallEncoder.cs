using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// The small encoder of the Keras NNCLR example: four [Conv 3×3, stride 2, <c>width</c>
/// channels, ReLU], then Dense(width) with ReLU; no batch norm. Names "conv1".."conv4", "fc".
/// Adapted in two documented ways so it runs on any image size (28×28 Fashion-MNIST
/// included): convs pad by 1 (output ⌈H/2⌉, like Keras padding="same"; the example's
/// "valid" padding would shrink 28×28 to nothing), and the feature map is global-average
/// pooled instead of flattened, so the dense layer's input is <c>width</c> whatever the
/// image size. Weights use the same torchvision-style initialisation as the ResNets.
/// FeatureDim = width.
/// </summary>
public sealed class SmallEncoder : Encoder
{
    private readonly Conv2d[] convs = new Conv2d[4];
    private readonly Linear fc;

    public SmallEncoder(IBackend backend, int inChannels, RandomStream rng, int width = 128) : base(backend)
    {
        if (inChannels < 1 || width < 1)
            throw new ArgumentException($"SmallEncoder: inChannels ({inChannels}) and width ({width}) must be ≥ 1.");
        Width = width;
        for (int i = 0; i < 4; i++)
            convs[i] = AddModule($"conv{i + 1}", new Conv2d(backend, i == 0 ? inChannels : width, width, 3, rng, stride: 2, padding: 1, bias: true));
        fc = AddModule("fc", new Linear(backend, width, width, rng));
    }

    public int Width { get; }

    public override int FeatureDim => Width;

    public override string Arch => "small";

    public override Tensor Forward(Tensor x)
    {
        foreach (var conv in convs) x = Ops.Relu(conv.Forward(x));
        return Ops.Relu(fc.Forward(Ops.GlobalAvgPool(x)));
    }
}
