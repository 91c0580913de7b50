using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Configuration;

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

    /// <summary>
    /// Encoder, heads and method (the method's registry entry builds the heads), all initialised from the run's init stream.
    /// <paramref name="numClasses"/>: the training set's classes, 0 when it is unlabeled.
    /// </summary>
    public static ContrastiveMethod CreateMethod(TrainingConfig c, int inChannels, int dataSize, IBackend backend, int numClasses = 0)
    {
        var rng = InitStream(c);
        var encoder = CreateEncoder(c, inChannels, backend, rng);
        try
        {
            return c.MethodDefinition.Create(new MethodContext(encoder, rng, backend, dataSize, c.BatchSize, c.ImageSize ?? 0, c.Seed, c.MethodOptionValues)
            {
                NumClasses = numClasses,
            });
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The method's views (one augmentation per view, multi-crop included), seeded with the run's seed.</summary>
    public static IReadOnlyList<AugmentationConfig> Views(TrainingConfig c, int size, ImageDataset train) =>
        c.MethodDefinition.Views(new ViewContext(size, train.Channels, train.Normalization, c.Seed, c.JitterStrength, c.CropScaleMin), c.MethodOptionValues);

    public static Optimizer CreateOptimizer(TrainingConfig c, IReadOnlyList<(string Name, Tensor Tensor)> parameters) =>
        OptimizerFactory.Create(c.OptimizerName, parameters, new OptimizerOptions
        {
            Momentum = c.Momentum,
            WeightDecay = c.WeightDecayValue,
            Betas = (c.OptimizerName is "adam" or "adamw" ? c.Momentum : 0.9f, 0.999f),
        });

    /// <summary>Warm-up (linear, --warmup-epochs) then cosine to 0, multistep (epochs → steps) or constant.</summary>
    public static ILearningRateSchedule Schedule(TrainingConfig c, int stepsPerEpoch)
    {
        long total = (long)c.Epochs * stepsPerEpoch;
        long warmup = Math.Min(total, (long)Math.Round(c.WarmupEpochsValue * stepsPerEpoch));
        ILearningRateSchedule after = c.Schedule switch
        {
            "cosine" => new WarmupCosineSchedule(c.LearningRate, warmup, total),
            "multistep" => new MultiStepSchedule(c.LearningRate, c.Milestones.Select(m => (long)m * stepsPerEpoch), c.LrDecay),
            "constant" => new ConstantSchedule(c.LearningRate),
            _ => throw new ArgumentException($"--schedule: unknown value '{c.Schedule}'; expected one of: {string.Join(", ", TrainingConfig.Schedules)}."),
        };
        return c.Schedule == "cosine" || warmup == 0 ? after : new LinearWarmup(after, c.LearningRate, warmup);
    }

    /// <summary>lr = base·(s + 1)/W for s &lt; W, then the wrapped schedule.</summary>
    private sealed class LinearWarmup(ILearningRateSchedule inner, float baseLr, long warmupSteps) : ILearningRateSchedule
    {
        public float At(long step) => step < warmupSteps ? (float)(baseLr * (double)(step + 1) / warmupSteps) : inner.At(step);
    }
}
