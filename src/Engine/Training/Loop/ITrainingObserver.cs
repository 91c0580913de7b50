using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>What a run is about to do, for progress displays.</summary>
/// <param name="Description">e.g. "simclr small fashion-mnist (10000 images, 1×28×28)".</param>
/// <param name="FirstEpoch">1-based epoch the run starts with (greater than 1 when resuming).</param>
public sealed record TrainingPlan(string Description, int FirstEpoch, int Epochs, int StepsPerEpoch, int BatchSize, string RunDirectory);

/// <summary>
/// Receives progress from <see cref="Trainer"/> on the training thread. Implementations must be
/// quick (they run between steps); the command line shows a progress bar or plain lines.
/// </summary>
public interface ITrainingObserver
{
    void Started(TrainingPlan plan);

    /// <summary>After optimiser step <paramref name="stepInEpoch"/> (1-based) of <paramref name="epoch"/>.</summary>
    void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double imagesPerSecond);

    /// <summary>A phase that is not a training step (kNN feature extraction, checkpoint writing).</summary>
    void Phase(string what);

    /// <summary>
    /// The epoch's row is complete (kNN and <see cref="EpochMetrics.Times"/> included). Its checkpoint,
    /// <paramref name="checkpointPath"/>, may still be being written in the background:
    /// <see cref="CheckpointWritten"/> says when it is on disk.
    /// </summary>
    void EpochCompleted(EpochMetrics metrics, string checkpointPath);

    /// <summary>
    /// The checkpoint of <paramref name="epoch"/> is complete on disk at <paramref name="checkpointPath"/>
    /// (last.safetensors; epoch-N beside it until the next one). Called on the training thread some
    /// time after <see cref="EpochCompleted"/> for the same epoch, at the latest before the run returns.
    /// </summary>
    void CheckpointWritten(int epoch, string checkpointPath) { }

    /// <summary>Something the user should know about the run (e.g. a method's collapse warning).</summary>
    void Warning(string message) => Phase("warning: " + message);
}

/// <summary>Observes nothing (tests, library use).</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    public static readonly NullTrainingObserver Instance = new();
    public void Started(TrainingPlan plan) { }
    public void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double imagesPerSecond) { }
    public void Phase(string what) { }
    public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
}
