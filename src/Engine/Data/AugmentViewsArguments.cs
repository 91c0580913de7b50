using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// The checks every backend's <see cref="IBackend.AugmentViews"/> makes before it touches memory:
/// shapes, configuration, sample indices and crop boxes (a kernel could not report a bad one).
/// </summary>
public static class AugmentViewsArguments
{
    /// <summary>Throws with the offending value unless the arguments describe a valid call.</summary>
    public static void Validate(ByteTensor images, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws,
                                AugmentationConfig config, Tensor views)
    {
        if (images.Shape.Length != 4)
            throw new ArgumentException($"AugmentViews: images must be [N, C, H, W], got {ShapeUtil.Format(images.Shape)}.");
        int n = images.Dim(0), c = images.Dim(1), h = images.Dim(2), w = images.Dim(3), s = config.OutputSize;
        config.Validate();
        config.Normalization.Validate(c);
        if (draws.Length != indices.Length)
            throw new ArgumentException($"AugmentViews: {indices.Length} indices but {draws.Length} draws.");
        if (!ShapeUtil.SameShape(views.Shape, [indices.Length, c, s, s]))
            throw new ArgumentException($"AugmentViews: views must be {ShapeUtil.Format([indices.Length, c, s, s])}, got {ShapeUtil.Format(views.Shape)}.");
        if (!ReferenceEquals(images.Backend, views.Backend))
            throw new ArgumentException($"AugmentViews: images on {images.Backend.Name}, views on {views.Backend.Name}.");
        for (int b = 0; b < indices.Length; b++)
        {
            if ((uint)indices[b] >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(indices), $"AugmentViews: sample index {indices[b]} outside 0..{n - 1}.");
            if (!draws[b].Crop.FitsIn(h, w))
                throw new ArgumentException($"AugmentViews: crop {draws[b].Crop} of view {b} does not fit a {h}×{w} image.");
        }
    }

    /// <summary>The blur kernel side of a configuration: BlurKernelSize, or SimCLR's 10% of S when 0.</summary>
    public static int BlurTaps(AugmentationConfig config) =>
        config.BlurKernelSize > 0 ? config.BlurKernelSize : GaussianBlur.KernelSizeFor(config.OutputSize);
}
