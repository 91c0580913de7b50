using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;

namespace NativeContrastive.Engine.Methods.SimClr;

/// <summary>
/// SimCLR's registry entry: two views of SimCLR's augmentation (crop scale 0.08–1, colour jitter of
/// strength s, grayscale, blur above 32 px), the MLP projection head "projector." (Linear → BN →
/// ReLU → Linear), NT-Xent, Adam at 1e-3 for the small-encoder demos.
/// </summary>
public sealed class SimClrDefinition : MethodDefinition
{
    public override string Name => "simclr";

    public override string Summary => "SimCLR (Chen et al. 2020): two views, projection MLP, NT-Xent over in-batch negatives.";

    public override IReadOnlyList<MethodOption> Options => SimClrOptions.Declarations;

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var a = AugmentationConfig.SimClr(c.ImageSize, c.Channels, strength: c.JitterStrength, normalization: c.Normalization);
        a = a with { Seed = c.Seed, ScaleMin = c.CropScaleMin ?? a.ScaleMin };
        return [a, a];
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        var options = SimClrOptions.From(c.Options);
        int hidden = options.ProjectorHiddenDim > 0 ? options.ProjectorHiddenDim : c.Encoder.FeatureDim;
        var projector = ModelFactory.CreateProjectionHead(c.Encoder.FeatureDim, hidden, options.ProjectionDim, c.Backend, c.InitStream);
        return new SimClrMethod(c.Encoder, projector, options);
    }
}
