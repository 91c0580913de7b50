namespace NativeContrastive.Engine.Methods.Supervised;

/// <summary>
/// Settings of the cross-entropy baseline: label smoothing ε (0 = plain cross-entropy; the seed
/// article's second stage offers it, Szegedy et al. 2016 use 0.1).
/// </summary>
public sealed record SupervisedOptions
{
    public static readonly MethodOption<float> LabelSmoothingOption =
        MethodOption.Float("label-smoothing", 0f, "Label smoothing ε: targets (1 − ε)·one-hot + ε/C.", min: 0, max: 1, maxExclusive: true);

    public static IReadOnlyList<MethodOption> Declarations { get; } = [LabelSmoothingOption];

    public float LabelSmoothing { get; init; } = LabelSmoothingOption.Default;

    public static SupervisedOptions From(MethodOptionValues v) => new() { LabelSmoothing = v.Get(LabelSmoothingOption) };

    public void Validate()
    {
        LabelSmoothingOption.Require(LabelSmoothing, "supervised");
    }
}
