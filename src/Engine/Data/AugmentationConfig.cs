namespace NativeContrastive.Engine.Data;

/// <summary>
/// What one view of an image goes through, in this fixed order (as SimCLR's pipeline,
/// Chen et al. 2020, appendix A):
/// RandomResizedCrop → horizontal flip → colour jitter (with probability, its four parts in a
/// random order) → random grayscale → Gaussian blur (with probability) → per-channel
/// normalisation. NPID applies grayscale before jitter; the two orders give the same
/// distribution (jitter keeps grey pixels grey, and saturation/hue are identities on them).
/// Grey (C = 1) images: brightness and contrast apply; saturation, hue and grayscale are
/// identities (see <see cref="ColorOps"/>).
/// Randomness: see <see cref="AugmentationDraws"/>; <see cref="Seed"/> is the run's seed.
/// </summary>
public sealed record AugmentationConfig
{
    /// <summary>Output side S: views are C×S×S.</summary>
    public required int OutputSize { get; init; }

    /// <summary>Run seed; the Philox key of every augmentation stream.</summary>
    public ulong Seed { get; init; }

    /// <summary>RandomResizedCrop on; off means the whole image, resized to S×S when sizes differ.</summary>
    public bool RandomCrop { get; init; }

    /// <summary>Crop area as a fraction of the image area, uniform in [ScaleMin, ScaleMax].</summary>
    public float ScaleMin { get; init; } = 0.08f;

    public float ScaleMax { get; init; } = 1f;

    /// <summary>Crop aspect ratio w/h, log-uniform in [RatioMin, RatioMax].</summary>
    public float RatioMin { get; init; } = 3f / 4f;

    public float RatioMax { get; init; } = 4f / 3f;

    public float FlipProbability { get; init; }

    /// <summary>Probability that colour jitter is applied at all.</summary>
    public float JitterProbability { get; init; }

    /// <summary>Brightness factor uniform in [max(0, 1 − b), 1 + b].</summary>
    public float Brightness { get; init; }

    /// <summary>Contrast factor uniform in [max(0, 1 − c), 1 + c].</summary>
    public float Contrast { get; init; }

    /// <summary>Saturation factor uniform in [max(0, 1 − s), 1 + s].</summary>
    public float Saturation { get; init; }

    /// <summary>Hue shift uniform in [−h, h] turns, h ≤ ½.</summary>
    public float Hue { get; init; }

    public float GrayscaleProbability { get; init; }

    public float BlurProbability { get; init; }

    public float BlurSigmaMin { get; init; } = 0.1f;

    public float BlurSigmaMax { get; init; } = 2f;

    /// <summary>Odd kernel side; 0 = SimCLR's 10% of S (<see cref="GaussianBlur.KernelSizeFor"/>).</summary>
    public int BlurKernelSize { get; init; }

    public Normalization Normalization { get; init; } = Normalization.Identity;

    /// <summary>True when some step draws random numbers.</summary>
    public bool IsRandom => RandomCrop || FlipProbability > 0 || JitterProbability > 0 || GrayscaleProbability > 0 || BlurProbability > 0;

    /// <summary>
    /// SimCLR (Chen et al. 2020, appendix A): RandomResizedCrop scale 0.08–1, ratio 3/4–4/3;
    /// flip ½; colour jitter (0.8s, 0.8s, 0.8s, 0.2s) with probability 0.8; grayscale 0.2;
    /// Gaussian blur σ ∈ [0.1, 2], kernel 10% of S, with probability ½ — used on ImageNet, so on
    /// here only for S &gt; 32 (the CIFAR experiments leave it out). s = 1 on ImageNet, 0.5 on CIFAR.
    /// </summary>
    public static AugmentationConfig SimClr(int size, int channels, float strength = 1f, Normalization? normalization = null) => new()
    {
        OutputSize = size,
        RandomCrop = true,
        FlipProbability = 0.5f,
        JitterProbability = 0.8f,
        Brightness = 0.8f * strength,
        Contrast = 0.8f * strength,
        Saturation = 0.8f * strength,
        Hue = 0.2f * strength,
        GrayscaleProbability = 0.2f,
        BlurProbability = size > 32 ? 0.5f : 0f,
        Normalization = Checked(normalization, channels),
    };

    /// <summary>
    /// NPID (Wu et al. 2018, the authors' code): RandomResizedCrop scale 0.2–1, grayscale 0.2,
    /// colour jitter 0.4 for brightness, contrast, saturation and hue, always applied; flip ½.
    /// </summary>
    public static AugmentationConfig Npid(int size, int channels, Normalization? normalization = null) => new()
    {
        OutputSize = size,
        RandomCrop = true,
        ScaleMin = 0.2f,
        FlipProbability = 0.5f,
        JitterProbability = 1f,
        Brightness = 0.4f,
        Contrast = 0.4f,
        Saturation = 0.4f,
        Hue = 0.4f,
        GrayscaleProbability = 0.2f,
        Normalization = Checked(normalization, channels),
    };

    /// <summary>Evaluation: no randomness; the whole image (resized to S×S when its size differs), normalised.</summary>
    public static AugmentationConfig Eval(int size, Normalization? normalization = null) => new()
    {
        OutputSize = size,
        Normalization = normalization ?? Normalization.Identity,
    };

    /// <summary>Throws with the offending field unless every setting is in range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what) { if (!ok) throw new ArgumentException($"AugmentationConfig: {what}"); }
        Check(OutputSize > 0, $"OutputSize must be > 0, got {OutputSize}.");
        Check(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1, $"scale range must satisfy 0 < min ≤ max ≤ 1, got [{ScaleMin}, {ScaleMax}].");
        Check(RatioMin > 0 && RatioMin <= RatioMax, $"ratio range must satisfy 0 < min ≤ max, got [{RatioMin}, {RatioMax}].");
        foreach (var (p, n) in new[] { (FlipProbability, "FlipProbability"), (JitterProbability, "JitterProbability"), (GrayscaleProbability, "GrayscaleProbability"), (BlurProbability, "BlurProbability") })
            Check(p >= 0 && p <= 1, $"{n} must be in [0, 1], got {p}.");
        Check(Brightness >= 0 && Contrast >= 0 && Saturation >= 0, "jitter strengths must be ≥ 0.");
        Check(Hue >= 0 && Hue <= 0.5f, $"Hue must be in [0, 0.5], got {Hue}.");
        Check(BlurSigmaMin > 0 && BlurSigmaMin <= BlurSigmaMax, $"blur sigma range must satisfy 0 < min ≤ max, got [{BlurSigmaMin}, {BlurSigmaMax}].");
        Check(BlurKernelSize == 0 || (BlurKernelSize > 0 && BlurKernelSize % 2 == 1), $"BlurKernelSize must be 0 (auto) or odd, got {BlurKernelSize}.");
    }

    private static Normalization Checked(Normalization? n, int channels)
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"Augmentation presets handle 1 or 3 channels, got {channels}.");
        n ??= Normalization.Identity;
        n.Validate(channels);
        return n;
    }
}
