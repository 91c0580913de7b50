using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Data augmentation of uint8 images resident on the backend (kernels-cu/augment.cu).</summary>
public partial interface IBackend
{
    /// <summary>
    /// views[b] (C×S×S, S = <paramref name="config"/>.OutputSize, views = [B, C, S, S] with
    /// B = indices.Length) ← the view of image indices[b] of <paramref name="images"/> ([N, C, H, W]
    /// uint8) that draws[b] describes, made as <see cref="Augmenter.Apply"/> makes it:
    ///   x = crop draws[b].Crop, antialiased bilinear resize to S×S (AxisFilter's triangle
    ///       filter, half-pixel centres, taps clamped to the crop), mirrored when draws[b].Flip;
    ///   x ← x/255;
    ///   when draws[b].Jitter: brightness, contrast, saturation, hue (ColorOps, each only when
    ///       its strength in the config is &gt; 0) in the order draws[b].JitterOrder;
    ///   grayscale when draws[b].Grayscale; Gaussian blur of σ = draws[b].BlurSigma when
    ///       draws[b].Blur (kernel config.BlurKernelSize, or GaussianBlur.KernelSizeFor(S) when 0;
    ///       reflect padding);
    ///   y = (x − mean[c]) / std[c] with config.Normalization, computed as x·(1/std) + (−mean/std).
    /// The draws and indices are host data (made by <see cref="AugmentationDraws.Draw"/>); the
    /// backend copies what it needs. Indices must lie in [0, N) and crops inside H×W (throws).
    /// The cpu result is the reference; devices match it to float rounding (augment.cu says where).
    /// </summary>
    void AugmentViews(ByteTensor images, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws,
                      AugmentationConfig config, Tensor views);
}
