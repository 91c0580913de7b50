using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// The projection shortcut of a residual block (torchvision's "downsample"): a 1×1 conv with
/// the block's stride and no bias, then batch norm — needed only where the block changes the
/// spatial size or the width; elsewhere the shortcut is the identity (null).
/// </summary>
internal static class Shortcut
{
    public static Sequential? Create(IBackend backend, int inPlanes, int outPlanes, int stride, RandomStream rng) =>
        stride == 1 && inPlanes == outPlanes
            ? null
            : new Sequential(backend,
                new Conv2d(backend, inPlanes, outPlanes, 1, rng, stride, 0, bias: false),
                new BatchNorm(backend, outPlanes));

    /// <summary>A block's shortcut of x: the projection (as its Sequential runs it) on x as stored, or x itself, which must then be fp32.</summary>
    public static Tensor Of(Sequential? projection, ConvInput x, string block) =>
        projection is not null
            ? ((BatchNorm)projection[1]).ForwardConv((Conv2d)projection[0], x)
            : x.Fp32 ?? throw new InvalidOperationException($"{block}: an identity shortcut adds x itself, which must be stored in fp32.");
}

