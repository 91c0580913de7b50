using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Engine.Api;

/// <summary>Progress after one optimiser step.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs of the run.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="Loss">The step's loss.</param>
/// <param name="LearningRate">The learning rate of the step.</param>
/// <param name="ImagesPerSecond">Throughput of the epoch so far.</param>
public sealed record StepProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss, double LearningRate, double ImagesPerSecond);

/// <summary>Summary of a finished epoch (its checkpoint is written).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">Mean loss of the epoch.</param>
/// <param name="KnnTop1">kNN top-1 accuracy (percent) on the test split when it was evaluated this epoch.</param>
/// <param name="Seconds">Wall time of the epoch (steps, kNN monitor and checkpoint included).</param>
/// <param name="CheckpointPath">The checkpoint of the epoch; it is written in the background and complete once the next epoch's checkpoint is taken or <see cref="TrainingRun.Run"/> returns.</param>
public sealed record EpochProgress(int Epoch, double Loss, double? KnnTop1, double Seconds, string CheckpointPath);

/// <summary>The outcome of <see cref="TrainingRun.Run"/>.</summary>
/// <param name="Cancelled">True when the token stopped the run (the last complete epoch's checkpoint stays).</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="FinalLoss">Mean loss of the last epoch.</param>
/// <param name="KnnTop1">Final kNN top-1 accuracy (percent), when evaluated.</param>
/// <param name="CheckpointPath">The newest checkpoint (load it with <see cref="Encoder.Load"/>); null when none was written.</param>
/// <param name="RunDirectory">The run folder (config.json, metrics.csv, checkpoints).</param>
public sealed record TrainingOutcome(bool Cancelled, int Epochs, double? FinalLoss, double? KnnTop1, string? CheckpointPath, string RunDirectory);

/// <summary>
/// A training run of the engine configured by a YAML/JSON file (the keys of a run's config.json; see
/// configs/ in the repository) or a <see cref="TrainingConfig"/> object, with progress callbacks. It
/// writes the same run folder as `nc train`.
/// </summary>
/// <example>
/// <code>
/// var run = TrainingRun.FromConfigFile("configs/simclr.yaml", c => c with { Epochs = 1, Out = "runs/demo" });
/// run.StepCompleted = p => Console.WriteLine($"{p.Epoch}/{p.Epochs} {p.Step}: {p.Loss:0.000}");
/// var outcome = run.Run();
/// using var encoder = Encoder.Load(outcome.CheckpointPath!);
/// </code>
/// </example>
public sealed class TrainingRun
{
    private TrainingRun(TrainingConfig config) => Config = config;

    /// <summary>The run's configuration (defaults filled in for the keys the file did not give).</summary>
    public TrainingConfig Config { get; }

    /// <summary>Called after every optimiser step on the training thread; keep it quick.</summary>
    public Action<StepProgress>? StepCompleted { get; set; }

    /// <summary>Called after every epoch, once its checkpoint is written.</summary>
    public Action<EpochProgress>? EpochCompleted { get; set; }

    /// <summary>Other news of the run (phases such as kNN evaluation, method warnings).</summary>
    public Action<string>? Message { get; set; }

    /// <summary>A run configured by a YAML or JSON file; <paramref name="overrides"/> may change it further (e.g. the run folder).</summary>
    public static TrainingRun FromConfigFile(string path, Func<TrainingConfig, TrainingConfig>? overrides = null)
    {
        var config = ConfigFile.Load(path);
        return new TrainingRun(overrides is null ? config : overrides(config));
    }

    /// <summary>A run configured by <paramref name="config"/> (e.g. <c>new TrainingConfig { Method = "simclr", Epochs = 1, Out = "runs/x" }</c>).</summary>
    public static TrainingRun FromConfig(TrainingConfig config) => new(config ?? throw new ArgumentNullException(nameof(config)));

    /// <summary>Trains until the configured epochs are done or <paramref name="cancellation"/> is set (checked between steps).</summary>
    public TrainingOutcome Run(CancellationToken cancellation = default)
    {
        var observer = new Observer(this);
        var r = Trainer.Run(Config, observer, cancellation);
        return new TrainingOutcome(r.Cancelled, r.Epochs, r.FinalLoss, r.Knn?.Top1, r.CheckpointPath, r.RunDirectory);
    }

    private sealed class Observer(TrainingRun run) : ITrainingObserver
    {
        private TrainingPlan? plan;

        public void Started(TrainingPlan p)
        {
            plan = p;
            run.Message?.Invoke($"training {p.Description}: epochs {p.FirstEpoch}..{p.Epochs}, {p.StepsPerEpoch} steps of {p.BatchSize} per epoch, into {p.RunDirectory}");
        }

        public void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double imagesPerSecond) =>
            run.StepCompleted?.Invoke(new StepProgress(epoch, plan?.Epochs ?? 0, stepInEpoch, plan?.StepsPerEpoch ?? 0, loss, lr, imagesPerSecond));

        public void Phase(string what) => run.Message?.Invoke(what);

        public void Warning(string message) => run.Message?.Invoke("warning: " + message);

        public void EpochCompleted(EpochMetrics m, string checkpointPath) =>
            run.EpochCompleted?.Invoke(new EpochProgress(m.Epoch, m.Loss, m.KnnTop1, m.Times?.Wall ?? m.Seconds, checkpointPath));
    }
}
