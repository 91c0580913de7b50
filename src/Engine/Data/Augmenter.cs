namespace NativeContrastive.Engine.Data;

/// <summary>
/// Produces one view: crop + resize + flip (<see cref="Resampler"/>), ×1/255, colour jitter,
/// grayscale, blur, then (x − mean)/std into the caller's C×S×S span. One instance per thread
/// (it owns scratch buffers); <see cref="ForThread"/> hands out the calling thread's.
/// </summary>
public sealed class Augmenter
{
    [ThreadStatic] private static Augmenter? perThread;

    private readonly Resampler resampler = new();
    private readonly GaussianBlur blur = new();
    private float[] work = [];

    public static Augmenter ForThread => perThread ??= new Augmenter();

    /// <summary>
    /// Writes view <paramref name="view"/> of image <paramref name="sampleIndex"/> in epoch
    /// <paramref name="epoch"/> into <paramref name="dest"/> (C×S×S). Deterministic in
    /// (cfg.Seed, epoch, sampleIndex, view).
    /// </summary>
    public void Augment(ImageDataset ds, int sampleIndex, AugmentationConfig cfg, int epoch, int view, Span<float> dest)
    {
        var d = AugmentationDraws.Draw(cfg, ds.Height, ds.Width, epoch, sampleIndex, view);
        Apply(ds.Image(sampleIndex), ds.Channels, ds.Height, ds.Width, cfg, d, dest);
    }

    /// <summary>Applies given draws to a C×H×W image (tests use it to fix the draws).</summary>
    public void Apply(ReadOnlySpan<byte> image, int channels, int height, int width, AugmentationConfig cfg,
        in AugmentationDraws d, Span<float> dest)
    {
        int s = cfg.OutputSize, plane = s * s, n = channels * plane;
        if (dest.Length != n)
            throw new ArgumentException($"Augment: destination holds {dest.Length} floats, a {channels}×{s}×{s} view needs {n}.");
        if (work.Length < n) work = new float[n];
        var img = work.AsSpan(0, n);

        resampler.Resize(image, channels, height, width, d.Crop, s, s, d.Flip, img);
        System.Numerics.Tensors.TensorPrimitives.Multiply(img, 1f / 255f, img);

        if (d.Jitter)
            for (int k = 0; k < 4; k++)
                switch (d.JitterStep(k))
                {
                    case 0: if (cfg.Brightness > 0) ColorOps.Brightness(img, d.BrightnessFactor); break;
                    case 1: if (cfg.Contrast > 0) ColorOps.Contrast(img, channels, plane, d.ContrastFactor); break;
                    case 2: if (cfg.Saturation > 0) ColorOps.Saturation(img, channels, plane, d.SaturationFactor); break;
                    default: if (cfg.Hue > 0) ColorOps.Hue(img, channels, plane, d.HueShift); break;
                }
        if (d.Grayscale) ColorOps.Grayscale(img, channels, plane);
        if (d.Blur)
            blur.Apply(img, channels, s, s, cfg.BlurKernelSize > 0 ? cfg.BlurKernelSize : GaussianBlur.KernelSizeFor(s), d.BlurSigma);

        // y = (x − mean)/std = x·(1/std) + (−mean/std), per channel.
        var norm = cfg.Normalization;
        for (int c = 0; c < channels; c++)
        {
            float inv = 1f / norm.StdOf(c);
            var dc = dest.Slice(c * plane, plane);
            System.Numerics.Tensors.TensorPrimitives.Multiply(img.Slice(c * plane, plane), inv, dc);
            System.Numerics.Tensors.TensorPrimitives.Add(dc, -norm.MeanOf(c) * inv, dc);
        }
    }
}
