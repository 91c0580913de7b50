using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Methods.Nnclr;

/// <summary>
/// NNCLR's registry entry: two views of the Keras example's contrastive augmenter (random
/// resized crop of 20–100% of the area, aspect 3/4–4/3, horizontal flip, brightness ×[1 − s, 1 + s]
/// with s = --jitter-strength, 0.5 by default as the example's factor; no other colour change),
/// the example's projection head "projector." (Linear → ReLU → Linear, the encoder's width), the
/// optional predictor "predictor." (Linear → BN → ReLU → Linear), the support set, Adam at 1e-3
/// (the example's optimiser), and the example's monitoring metrics as metrics.csv columns.
/// </summary>
public sealed class NnclrDefinition : MethodDefinition
{
    public override string Name => "nnclr";

    public override string Summary => "NNCLR (Dwibedi et al. 2021): the nearest neighbour in a support-set queue as the positive, four-term symmetric InfoNCE.";

    public override IReadOnlyList<MethodOption> Options => NnclrOptions.Declarations;

    public override IReadOnlyList<string> EpochMetricNames => NnclrMetrics.Names;

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var a = AugmentationConfig.SimClr(c.ImageSize, c.Channels, normalization: c.Normalization) with
        {
            Seed = c.Seed,
            ScaleMin = c.CropScaleMin ?? 0.2f,
            JitterProbability = 1f,
            Brightness = c.JitterStrength,
            Contrast = 0f,
            Saturation = 0f,
            Hue = 0f,
            GrayscaleProbability = 0f,
            BlurProbability = 0f,
        };
        return [a, a];
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        var options = NnclrOptions.From(c.Options);
        if (options.QueueSize < c.BatchSize)
            throw new ArgumentException($"--queue-size {options.QueueSize} is smaller than --batch-size {c.BatchSize}: the support set must hold at least one batch.");
        int features = c.Encoder.FeatureDim;
        int hidden = options.ProjectorHiddenDim > 0 ? options.ProjectorHiddenDim : features;
        int dim = options.ProjectorOutDim;
        var projector = new Sequential(c.Backend, new Linear(c.Backend, features, hidden, c.InitStream), new Relu(c.Backend), new Linear(c.Backend, hidden, dim, c.InitStream));
        Module? predictor = options.Predictor ? ModelFactory.CreateProjectionHead(dim, options.PredictorHiddenDim, dim, c.Backend, c.InitStream) : null;
        return new NnclrMethod(c.Encoder, projector, predictor, dim, options, c.Backend, c.Seed);
    }
}
