using NativeContrastive.Engine.Randomness;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Every random decision for one view of one image, drawn from its own Philox stream.
///
/// Stream: key = run seed, stream = StreamId.Of(Augment, epoch·2⁸ + view, sampleIndex), where
/// sampleIndex is the image's index in the data set (not its place in the batch) — so a view
/// depends only on (seed, epoch, sample, view), never on thread scheduling, batch size or
/// batch composition. Limits: epoch &lt; 65536, view &lt; 256.
///
/// Fixed counter layout (each Philox block = 4 uint32 = stream positions 4b..4b+3), so that each
/// decision can be computed on its own (a CUDA kernel needs only its block) and switching a
/// step off does not shift the others:
///   blocks 0..9  RandomResizedCrop attempt a: area fraction, log aspect ratio, top, left
///   block 10     flip, jitter-apply, grayscale, blur-apply (uniforms compared with p)
///   block 11     brightness, contrast, saturation, hue factors
///   block 12     jitter order (3 draws of a Fisher–Yates shuffle of 4), blur σ
/// </summary>
public readonly struct AugmentationDraws
{
    public const int MaxEpoch = 1 << 16, MaxView = 1 << 8;

    public CropBox Crop { get; init; }
    public bool Flip { get; init; }
    public bool Jitter { get; init; }
    public float BrightnessFactor { get; init; }
    public float ContrastFactor { get; init; }
    public float SaturationFactor { get; init; }
    public float HueShift { get; init; }
    /// <summary>Order of the jitter steps: 0 brightness, 1 contrast, 2 saturation, 3 hue.</summary>
    public int JitterOrder { get; init; } // four 2-bit step ids, first step in the low bits
    public bool Grayscale { get; init; }
    public bool Blur { get; init; }
    public float BlurSigma { get; init; }

    public int JitterStep(int k) => (JitterOrder >> (2 * k)) & 3;

    /// <summary>The stream of (epoch, sample, view); see the type's remarks.</summary>
    public static ulong StreamFor(int epoch, int sampleIndex, int view)
    {
        if ((uint)epoch >= MaxEpoch) throw new ArgumentOutOfRangeException(nameof(epoch), $"epoch must be in 0..{MaxEpoch - 1}, got {epoch}.");
        if ((uint)view >= MaxView) throw new ArgumentOutOfRangeException(nameof(view), $"view must be in 0..{MaxView - 1}, got {view}.");
        if (sampleIndex < 0) throw new ArgumentOutOfRangeException(nameof(sampleIndex), $"sample index must be ≥ 0, got {sampleIndex}.");
        return StreamId.Of(StreamId.Augment, (uint)(epoch << 8 | view), (uint)sampleIndex);
    }

    public static AugmentationDraws Draw(AugmentationConfig cfg, int height, int width, int epoch, int sampleIndex, int view)
    {
        if (!cfg.IsRandom)
            return new AugmentationDraws { Crop = CropBox.Full(height, width), BrightnessFactor = 1, ContrastFactor = 1, SaturationFactor = 1 };
        var rng = new RandomStream(cfg.Seed, StreamFor(epoch, sampleIndex, view));
        var crop = cfg.RandomCrop ? SampleCrop(rng, cfg, height, width) : CropBox.Full(height, width);

        rng.Position = 4 * 10;
        bool flip = rng.NextFloat() < cfg.FlipProbability;
        bool jitter = rng.NextFloat() < cfg.JitterProbability;
        bool gray = rng.NextFloat() < cfg.GrayscaleProbability;
        bool blur = rng.NextFloat() < cfg.BlurProbability;

        rng.Position = 4 * 11;
        float b = Factor(rng, cfg.Brightness), c = Factor(rng, cfg.Contrast), s = Factor(rng, cfg.Saturation);
        float h = rng.NextFloat(-cfg.Hue, cfg.Hue);

        rng.Position = 4 * 12;
        Span<int> order = [0, 1, 2, 3];
        rng.Shuffle(order);
        float sigma = rng.NextFloat(cfg.BlurSigmaMin, cfg.BlurSigmaMax);

        return new AugmentationDraws
        {
            Crop = crop, Flip = flip, Jitter = jitter, Grayscale = gray, Blur = blur,
            BrightnessFactor = b, ContrastFactor = c, SaturationFactor = s, HueShift = h,
            JitterOrder = order[0] | order[1] << 2 | order[2] << 4 | order[3] << 6,
            BlurSigma = sigma,
        };
    }

    /// <summary>
    /// The draws of view <paramref name="view"/> in <paramref name="epoch"/> for each sample of
    /// <paramref name="indices"/> (data-set indices of H×W images), in batch order.
    /// </summary>
    public static AugmentationDraws[] ForBatch(AugmentationConfig cfg, int height, int width, int epoch, ReadOnlySpan<int> indices, int view)
    {
        var draws = new AugmentationDraws[indices.Length];
        for (int b = 0; b < draws.Length; b++) draws[b] = Draw(cfg, height, width, epoch, indices[b], view);
        return draws;
    }

    /// <summary>Uniform in [max(0, 1 − j), 1 + j] (torchvision's ColorJitter range).</summary>
    private static float Factor(RandomStream rng, float j) => rng.NextFloat(Math.Max(0f, 1f - j), 1f + j);

    /// <summary>
    /// torchvision's RandomResizedCrop.get_params: up to 10 attempts of area = A·U(scale),
    /// ratio = exp(U(log ratio)), w = round(√(area·ratio)), h = round(√(area/ratio)) (round half
    /// to even, like Python); accept when 0 &lt; w ≤ W and 0 &lt; h ≤ H, with top ~ U{0..H−h},
    /// left ~ U{0..W−w}. Otherwise a centred crop of the whole image clipped to the ratio range.
    /// </summary>
    internal static CropBox SampleCrop(RandomStream rng, AugmentationConfig cfg, int height, int width)
    {
        double area = (double)height * width;
        double logLo = Math.Log(cfg.RatioMin), logHi = Math.Log(cfg.RatioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            rng.Position = 4UL * (ulong)attempt;
            double target = area * rng.NextFloat(cfg.ScaleMin, cfg.ScaleMax);
            double ratio = Math.Exp(logLo + (logHi - logLo) * rng.NextFloat());
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height)
                return new CropBox(rng.NextInt(height - h + 1), rng.NextInt(width - w + 1), h, w);
        }
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < cfg.RatioMin) { cw = width; ch = (int)Math.Round(cw / cfg.RatioMin); }
        else if (inRatio > cfg.RatioMax) { ch = height; cw = (int)Math.Round(ch * cfg.RatioMax); }
        else { cw = width; ch = height; }
        return new CropBox((height - ch) / 2, (width - cw) / 2, ch, cw);
    }
}
