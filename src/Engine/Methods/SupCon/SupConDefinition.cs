using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Engine.Methods.SupCon;

/// <summary>
/// SupCon's registry entry: two views of the reference code's augmentation (HobbitLong/SupContrast:
/// random resized crop of 60–100% of the area (the reference code's 20–100% with --crop-scale-min 0.2), flip, colour jitter 0.4/0.4/0.4/0.1 with
/// probability 0.8, grayscale 0.2 — SimCLR's pipeline at --jitter-strength 0.5, the default), the
/// projection head "projector." (Linear → BN → ReLU → Linear to 128, the registry's head), Adam at
/// 1e-3 for the small-encoder demos. Refuses to build on a training set without labels.
/// </summary>
public sealed class SupConDefinition : MethodDefinition
{
    public override string Name => "supcon";

    public override string Summary => "SupCon (Khosla et al. 2020): supervised contrastive L_out, every view of the anchor's class a positive (needs labels).";

    public override IReadOnlyList<MethodOption> Options => SupConOptions.Declarations;

    public override IReadOnlyList<string> EpochMetricNames => SupConMethod.MetricNames;

    /// <summary>
    /// Smallest crop area of the default views: 60–100% rather than the reference code's 20–100%.
    /// Measured on Fashion-MNIST (28 px, 30 000 images, 3 epochs, the README's budget): 20–100% left
    /// SupCon at 84.1% and the supervised baseline at 84.2% kNN top-1 (train accuracy on the views
    /// 73%: the crops cut away most of a 28-pixel garment), 60–100% gave 87.3% and 87.0%.
    /// --crop-scale-min 0.2 is the reference recipe.
    /// </summary>
    public const float DefaultCropScaleMin = 0.6f;

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var a = AugmentationConfig.SimClr(c.ImageSize, c.Channels, strength: c.JitterStrength, normalization: c.Normalization);
        a = a with { Seed = c.Seed, ScaleMin = c.CropScaleMin ?? DefaultCropScaleMin };
        return [a, a];
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        if (c.NumClasses < 1)
            throw new TrainingException("--method supcon trains on class labels, and the training set has none; use a labelled data set or a self-supervised method.");
        var options = SupConOptions.From(c.Options);
        int hidden = options.ProjectorHiddenDim > 0 ? options.ProjectorHiddenDim : c.Encoder.FeatureDim;
        var projector = ModelFactory.CreateProjectionHead(c.Encoder.FeatureDim, hidden, options.ProjectionDim, c.Backend, c.InitStream);
        return new SupConMethod(c.Encoder, projector, options);
    }
}
