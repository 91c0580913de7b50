using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Methods.Swav;

/// <summary>
/// SwAV's registry entry: the multi-crop views (SimCLR's colour distortion at --jitter-strength,
/// each group with its own size and crop-area range), the projection head "projector." (Linear →
/// BN → ReLU → Linear; 2048 hidden on ResNets as the official code, the encoder's width on small),
/// the prototypes "prototypes." (bias-free Linear, K rows), the queue, and the collapse monitor's
/// per-epoch columns.
/// </summary>
public sealed class SwavDefinition : MethodDefinition
{
    public const string MethodName = "swav";

    public override string Name => MethodName;

    public override string Summary => "SwAV (Caron et al. 2020): prototypes, Sinkhorn-Knopp codes, swapped prediction, multi-crop, feature queue.";

    public override IReadOnlyList<MethodOption> Options => SwavOptions.Declarations;

    public override IReadOnlyList<string> EpochMetricNames => CodeStatistics.Names;

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var plan = MultiCropPlan.Parse(options.Get(SwavOptions.MultiCropOption), c.ImageSize);
        var views = new List<AugmentationConfig>();
        for (int g = 0; g < plan.Groups.Count; g++)
        {
            var group = plan.Groups[g];
            var a = AugmentationConfig.SimClr(group.Size, c.Channels, strength: c.JitterStrength, normalization: c.Normalization);
            float min = g == 0 && c.CropScaleMin is float m ? Math.Min(m, group.ScaleMax) : group.ScaleMin;
            a = a with { Seed = c.Seed, ScaleMin = min, ScaleMax = group.ScaleMax };
            views.AddRange(Enumerable.Repeat(a, group.Count));
        }
        return views;
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        var options = SwavOptions.From(c.Options);
        var plan = MultiCropPlan.Parse(options.MultiCrop, c.ImageSize > 0 ? c.ImageSize : 32);
        int featureDim = c.Encoder.FeatureDim;
        int hidden = options.ProjectorHiddenDim > 0 ? options.ProjectorHiddenDim : c.Encoder is ResNet ? 2048 : featureDim;
        var projector = ModelFactory.CreateProjectionHead(featureDim, hidden, options.ProjectorOutDim, c.Backend, c.InitStream);
        var prototypes = new Linear(c.Backend, options.ProjectorOutDim, options.Prototypes, c.InitStream, bias: false);
        return new SwavMethod(c.Encoder, projector, prototypes, plan, options, c.BatchSize);
    }
}
