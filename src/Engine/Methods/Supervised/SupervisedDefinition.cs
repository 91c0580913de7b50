using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Engine.Methods.Supervised;

/// <summary>
/// The supervised baseline's registry entry: one view of the same augmentation SupCon trains with
/// (SimCLR's pipeline at --jitter-strength, crop 60–100%), the encoder plus a linear classifier
/// "classifier." (LinearHead: "classifier.fc.weight" [C, F]), cross-entropy, Adam at 1e-3.
/// Refuses to build on a training set without labels.
/// </summary>
public sealed class SupervisedDefinition : MethodDefinition
{
    public override string Name => "supervised";

    public override string Summary => "Supervised baseline: the encoder with a linear classifier, cross-entropy on one view (optional label smoothing; needs labels).";

    public override IReadOnlyList<MethodOption> Options => SupervisedOptions.Declarations;

    public override IReadOnlyList<string> EpochMetricNames => [SupervisedMethod.TrainAccuracyColumn];

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var a = AugmentationConfig.SimClr(c.ImageSize, c.Channels, strength: c.JitterStrength, normalization: c.Normalization);
        return [a with { Seed = c.Seed, ScaleMin = c.CropScaleMin ?? SupCon.SupConDefinition.DefaultCropScaleMin }];
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        if (c.NumClasses < 1)
            throw new TrainingException("--method supervised trains on class labels, and the training set has none; use a labelled data set or a self-supervised method.");
        var options = SupervisedOptions.From(c.Options);
        var classifier = new LinearHead(c.Encoder.FeatureDim, c.NumClasses, c.Backend, c.InitStream);
        return new SupervisedMethod(c.Encoder, classifier, c.NumClasses, options);
    }
}
