using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// The host half of <see cref="IBackend.AugmentViews"/> on a device: each view's draws combined
/// with its configuration into the <see cref="AugmentView"/> record augment.cu reads. The jitter
/// steps that <see cref="Augmenter.Apply"/> would skip (jitter not drawn, or a strength of 0 in
/// the configuration) become <see cref="AugmentView.NoStep"/>; the normalisation becomes
/// scale = 1/std and shift = −mean·scale per channel, computed as Augmenter computes them.
/// </summary>
public static class AugmentViewRecords
{
    /// <summary>Validates the call (<see cref="AugmentViewsArguments.Validate"/>) and packs its records.</summary>
    public static AugmentView[] Pack(ByteTensor images, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws,
                                     AugmentationConfig config, Tensor views)
    {
        AugmentViewsArguments.Validate(images, indices, draws, config, views);
        return Pack(config, images.Dim(1), indices, draws);
    }

    /// <summary>One record per view: sample indices[b] with draws[b], for images of <paramref name="channels"/> channels.</summary>
    public static AugmentView[] Pack(AugmentationConfig config, int channels, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws)
    {
        if (channels < 1 || channels > AugmentView.MaxChannels)
            throw new ArgumentOutOfRangeException(nameof(channels), $"AugmentViews on a device handles 1..{AugmentView.MaxChannels} channels, got {channels}.");
        if (draws.Length != indices.Length) throw new ArgumentException($"AugmentViewRecords: {indices.Length} indices but {draws.Length} draws.");
        var norm = config.Normalization;
        var records = new AugmentView[indices.Length];
        for (int b = 0; b < records.Length; b++)
        {
            var d = draws[b];
            ref var r = ref records[b];
            r.Sample = indices[b];
            (r.CropTop, r.CropLeft, r.CropHeight, r.CropWidth) = (d.Crop.Top, d.Crop.Left, d.Crop.Height, d.Crop.Width);
            r.Flip = d.Flip ? 1 : 0;
            for (int k = 0; k < 4; k++)
                r.Jitter[k] = d.Jitter && StepEnabled(config, d.JitterStep(k)) ? d.JitterStep(k) : AugmentView.NoStep;
            (r.BrightnessFactor, r.ContrastFactor, r.SaturationFactor, r.HueShift) = (d.BrightnessFactor, d.ContrastFactor, d.SaturationFactor, d.HueShift);
            r.Grayscale = d.Grayscale ? 1 : 0;
            r.Blur = d.Blur ? 1 : 0;
            r.BlurSigma = d.BlurSigma;
            for (int c = 0; c < channels; c++)
            {
                float inv = 1f / norm.StdOf(c);
                r.Scale[c] = inv;
                r.Shift[c] = -norm.MeanOf(c) * inv;
            }
        }
        return records;
    }

    /// <summary>The kernel side of the blur for this configuration (<see cref="AugmentViewsArguments.BlurTaps"/>).</summary>
    public static int BlurTaps(AugmentationConfig config) => AugmentViewsArguments.BlurTaps(config);

    /// <summary>Whether Augmenter.Apply runs jitter step <paramref name="step"/>: its strength is &gt; 0.</summary>
    private static bool StepEnabled(AugmentationConfig config, int step) => step switch
    {
        AugmentView.Brightness => config.Brightness > 0,
        AugmentView.Contrast => config.Contrast > 0,
        AugmentView.Saturation => config.Saturation > 0,
        _ => config.Hue > 0,
    };
}
