using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;

namespace NativeContrastive.Engine.Training;

/// <summary>
/// Builds what a configuration names: data sets, augmentation, encoder and heads (weights
/// from the run's init stream), the method, the optimiser and the learning-rate schedule.
/// Shared by the trainer and by checkpoint evaluation so both build identical encoders.
/// </summary>
public static class RunComponents
{
    /// <summary>The training split (first --limit images).</summary>
    public static ImageDataset LoadTrain(TrainingConfig c, int? limit) =>
        DatasetCatalog.Load(c.Dataset, c.DataPath, DataSplit.Train, limit, c.ImageSize);

    /// <summary>The test split, or null when the data set has none (a folder without test/).</summary>
    public static ImageDataset? LoadTest(TrainingConfig c, int? limit = null)
    {
        if (c.Dataset == "folder" && c.DataPath is string root && !Directory.Exists(Path.Combine(root, "test"))) return null;
        return DatasetCatalog.Load(c.Dataset, c.DataPath, DataSplit.Test, limit, c.ImageSize);
    }

    /// <summary>Side of the training views: the configured one or the data set's (square) height.</summary>
    public static int ImageSizeFor(TrainingConfig c, ImageDataset train) => c.ImageSize ?? Math.Min(train.Height, train.Width);

    /// <summary>
    /// The encoder with its initial weights: drawn from RandomStream(seed, Init) first, so
    /// the encoder of a run is the same whichever head follows it.
    /// </summary>
    public static Encoder CreateEncoder(TrainingConfig c, int inChannels, IBackend backend, RandomStream initStream) =>
        ModelFactory.CreateEncoder(c.Arch, inChannels, backend, initStream, c.Stem);

    public static RandomStream InitStream(TrainingConfig c) => new(c.Seed, StreamId.Of(StreamId.Init));

    /// <summary>Encoder, head and method, all initialised from the run's init stream.</summary>
    public static ContrastiveMethod CreateMethod(TrainingConfig c, int inChannels, int dataSize, IBackend backend)
    {
        var rng = InitStream(c);
        var encoder = CreateEncoder(c, inChannels, backend, rng);
        try
        {
            switch (c.Method)
            {
                case "simclr":
                    var projector = ModelFactory.CreateProjectionHead(encoder.FeatureDim, c.ProjectorHiddenDim ?? encoder.FeatureDim, c.ProjectorOutDim, backend, rng);
                    return new SimClr(encoder, projector, new SimClrOptions { Temperature = c.EffectiveTemperature, ProjectionDim = c.ProjectorOutDim });
                case "npid":
                    var embed = new LinearHead(encoder.FeatureDim, c.EmbedDim, backend, rng);
                    var options = new NpidOptions
                    {
                        Negatives = c.Negatives, Temperature = c.EffectiveTemperature, Momentum = c.NceMomentum,
                        FullSoftmax = c.FullSoftmax, EmbedDim = c.EmbedDim,
                    };
                    return new Npid(encoder, embed, dataSize, c.EmbedDim, options, backend, c.Seed);
                default:
                    throw new ArgumentException($"--method: unknown value '{c.Method}'; expected one of: {string.Join(", ", TrainingConfig.Methods)}.");
            }
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The method's usual augmentation of one view, seeded with the run's seed.</summary>
    public static AugmentationConfig Augmentation(TrainingConfig c, int size, ImageDataset train)
    {
        var a = c.Method == "npid"
            ? AugmentationConfig.Npid(size, train.Channels, train.Normalization)
            : AugmentationConfig.SimClr(size, train.Channels, strength: c.JitterStrength, normalization: train.Normalization);
        return a with { Seed = c.Seed, ScaleMin = c.CropScaleMin ?? a.ScaleMin };
    }

    public static Optimizer CreateOptimizer(TrainingConfig c, IReadOnlyList<(string Name, Tensor Tensor)> parameters) =>
        OptimizerFactory.Create(c.Optimizer, parameters, new OptimizerOptions
        {
            Momentum = c.Momentum,
            WeightDecay = c.WeightDecay,
            Betas = (c.Optimizer is "adam" or "adamw" ? c.Momentum : 0.9f, 0.999f),
        });

    /// <summary>Warm-up (linear, --warmup-epochs) then cosine to 0, multistep (epochs → steps) or constant.</summary>
    public static ILearningRateSchedule Schedule(TrainingConfig c, int stepsPerEpoch)
    {
        long total = (long)c.Epochs * stepsPerEpoch;
        long warmup = Math.Min(total, (long)Math.Round(c.WarmupEpochs * stepsPerEpoch));
        ILearningRateSchedule after = c.Schedule switch
        {
            "cosine" => new WarmupCosineSchedule(c.Lr, warmup, total),
            "multistep" => new MultiStepSchedule(c.Lr, c.Milestones.Select(m => (long)m * stepsPerEpoch), c.LrDecay),
            "constant" => new ConstantSchedule(c.Lr),
            _ => throw new ArgumentException($"--schedule: unknown value '{c.Schedule}'; expected one of: {string.Join(", ", TrainingConfig.Schedules)}."),
        };
        return c.Schedule == "cosine" || warmup == 0 ? after : new LinearWarmup(after, c.Lr, warmup);
    }

    /// <summary>lr = base·(s + 1)/W for s &lt; W, then the wrapped schedule.</summary>
    private sealed class LinearWarmup(ILearningRateSchedule inner, float baseLr, long warmupSteps) : ILearningRateSchedule
    {
        public float At(long step) => step < warmupSteps ? (float)(baseLr * (double)(step + 1) / warmupSteps) : inner.At(step);
    }
}
