using System.Globalization;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// Everything a configuration trains with, built the same way for the trainer and for the step
/// profiler (nc profile): the training split, the image size, the batch order, the method with its
/// encoder and head, the uint8 training set resident on the backend, the loader of augmented
/// views, the optimiser, the schedule, the online linear probe, the weight averages (EMA, SWA) and the <see cref="TrainingStep"/> over
/// them. The backend runs at the configuration's precision (<see cref="TrainingConfig.PrecisionValue"/>) while the
/// session lives. Disposing releases the probe, the optimiser, the resident data and the method, and restores
/// the backend's precision.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private TrainingSession(TrainingConfig config, ImageDataset train, int imageSize, BatchSampler sampler, ContrastiveMethod method,
                            ResidentDataset data, DataLoader loader, Optimizer optimizer, ILearningRateSchedule schedule, OnlineProbe? probe,
                            WeightAverage? ema, WeightAverage? swa, IDisposable precision, StepGraph? graph, ViewFeatureBank? viewBank)
    {
        this.precision = precision;
        Config = config;
        Train = train;
        ImageSize = imageSize;
        Sampler = sampler;
        Method = method;
        Data = data;
        Loader = loader;
        Optimizer = optimizer;
        Schedule = schedule;
        Probe = probe;
        Ema = ema;
        Swa = swa;
        ViewBank = viewBank;
        Step = new TrainingStep(method, optimizer, schedule, sampler.BatchesPerEpoch, probe, ema, graph: graph, viewBank: viewBank);
    }

    /// <summary>
    /// Builds the session of a resolved <paramref name="config"/> on <paramref name="backend"/>.
    /// <paramref name="prefetch"/>: fill the next batch while the current one trains (the trainer);
    /// off, every primitive runs on the calling thread inside the step (the profiler).
    /// </summary>
    public static TrainingSession Create(TrainingConfig config, IBackend backend, bool prefetch)
    {
        // The backend's precision (--precision, or the device's default) from before the first step until the session ends.
        var precision = Precisions.Use(backend, config.PrecisionValue);
        try
        {
            return Create(config, backend, prefetch, precision);
        }
        catch
        {
            precision.Dispose();
            throw;
        }
    }

    private static TrainingSession Create(TrainingConfig config, IBackend backend, bool prefetch, IDisposable precision)
    {
        var train = RunComponents.LoadTrain(config, config.Limit);
        int size = RunComponents.ImageSizeFor(config, train);
        config = config with { ImageSize = size };
        if (train.Count < config.BatchSize)
            throw new TrainingException($"--batch-size {config.BatchSize} is larger than the {train.Count} training images of {train.Name}; use a smaller batch or a larger --limit.");
        var sampler = BatchSampler.ForTraining(train.Count, config.BatchSize, config.Seed);
        var method = RunComponents.CreateMethod(config, train.Channels, train.Count, backend, train.IsLabeled ? train.NumClasses : 0);
        ResidentDataset? data = null;
        OnlineProbe? probe = null;
        ViewFeatureBank? viewBank = null;
        WeightAverage? ema = null, swa = null;
        try
        {
            // The uint8 training set goes to the backend once; views are made there every step.
            data = new ResidentDataset(train, backend);
            var views = RunComponents.Views(config, size, train);
            if (views.Count != method.ViewCount)
                throw new InvalidOperationException($"{config.Method}: its definition plans {views.Count} views, the method takes {method.ViewCount}.");
            var loader = new DataLoader(data, sampler, views, prefetch);
            // The online probe needs labels and an encoder to watch; unlabeled data leaves its column empty.
            if (config.OnlineProbe && train.IsLabeled && method.Encoder is Models.Encoder encoder)
                probe = new OnlineProbe(encoder, train.NumClasses, backend, config.Seed);
            // --knn-bank views: the steps fill the kNN monitor's bank (without labels there is no monitor to fill it for).
            if (config.KnnBank == TrainingConfig.KnnBankViews && train.IsLabeled && method.Encoder is Models.Encoder watched)
                viewBank = new ViewFeatureBank(watched, train.Count, backend);
            // The average covers the model (encoder and heads, batch-norm statistics included), not the
            // method's state such as a memory bank or a queue, which is data rather than weights.
            if (config.EmaDecay > 0) ema = WeightAverage.Exponential(method.ModuleStateDict(), config.EmaDecay);
            if (config.SwaEpochs > 0) swa = WeightAverage.Uniform(method.ModuleStateDict());
            var optimizer = RunComponents.CreateOptimizer(config, method.NamedParameters());
            return new TrainingSession(config, train, size, sampler, method, data, loader, optimizer, RunComponents.Schedule(config, sampler.BatchesPerEpoch), probe, ema, swa, precision,
                StepGraph.For(backend, config.CudaGraphs), viewBank);
        }
        catch
        {
            ema?.Dispose();
            swa?.Dispose();
            probe?.Dispose();
            viewBank?.Dispose();
            data?.Dispose();
            method.Dispose();
            throw;
        }
    }

    private readonly IDisposable precision;

    /// <summary>The configuration with the image size filled in.</summary>
    public TrainingConfig Config { get; }
    public ImageDataset Train { get; }
    public int ImageSize { get; }
    public BatchSampler Sampler { get; }
    public int StepsPerEpoch => Sampler.BatchesPerEpoch;
    public ContrastiveMethod Method { get; }
    public ResidentDataset Data { get; }
    public DataLoader Loader { get; }
    public Optimizer Optimizer { get; }
    public ILearningRateSchedule Schedule { get; }
    public TrainingStep Step { get; }

    /// <summary>The online linear probe (null with --no-online-probe or on unlabeled data).</summary>
    public OnlineProbe? Probe { get; }

    /// <summary>With --knn-bank views (and labels), the kNN monitor's bank of the steps' view features; else null.</summary>
    public ViewFeatureBank? ViewBank { get; }

    /// <summary>The moving average of the weights, updated every step (null unless --ema-decay is set).</summary>
    public WeightAverage? Ema { get; }

    /// <summary>The mean of the weights at the end of each of the last --swa-epochs epochs (null unless set).</summary>
    public WeightAverage? Swa { get; }

    /// <summary>The averages kept (EMA, SWA): checkpointed, monitored and written beside the raw weights.</summary>
    public IReadOnlyList<WeightAverage> Averages => new[] { Ema, Swa }.OfType<WeightAverage>().ToList();

    /// <summary>metrics.csv's extra columns: the probe's (whenever the configuration asks for it), then the method's.</summary>
    public IReadOnlyList<string> EpochMetricNames =>
        (Config.OnlineProbe ? [OnlineProbe.AccuracyColumn] : Array.Empty<string>())
        .Concat(Config.EmaDecay > 0 ? KnnColumns(WeightAverage.ExponentialKind) : [])
        .Concat(Config.SwaEpochs > 0 ? KnnColumns(WeightAverage.UniformKind) : [])
        .Concat(Config.MethodDefinition.EpochMetricNames).ToList();

    /// <summary>metrics.csv columns of the kNN monitor on averaged weights: "ema_knn_top1", "ema_knn_top5".</summary>
    public static string[] KnnColumns(string averageKind) => [averageKind + "_knn_top1", averageKind + "_knn_top5"];

    /// <summary>"simclr small fashion-mnist (30000 images, 1×28×28, 494,336 parameters)".</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{Config.Method} {Config.Arch} {Train.Name} ({Train.Count} images, {Train.Channels}×{ImageSize}×{ImageSize}, {Method.NamedParameters().Sum(p => p.Tensor.Length):N0} parameters)");

    public void Dispose()
    {
        Step.Dispose();
        Ema?.Dispose();
        Swa?.Dispose();
        Probe?.Dispose();
        ViewBank?.Dispose();
        Optimizer.Dispose();
        Data.Dispose();
        Method.Dispose();
        precision.Dispose();
    }
}
