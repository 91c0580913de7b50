namespace NativeContrastive.Engine.Training;

/// <summary>The training loop (built on Models and Methods; arrives with their merge).</summary>
public static class Trainer
{
    public static TrainingResult Run(TrainingConfig config, ITrainingObserver? observer = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException("nc train: the training loop is not built yet (needs the models and methods branches).");

    public static TrainingConfig ConfigOfCheckpoint(string checkpointPath) =>
        throw new NotSupportedException("nc train --resume: checkpoints are not readable yet (needs the models branch).");
}

/// <summary>Evaluation of a saved checkpoint (arrives with the models and methods merge).</summary>
public static class CheckpointEvaluation
{
    public static KnnReport Knn(KnnRequest request, CancellationToken cancellation = default, Action<string>? log = null) =>
        throw new NotSupportedException("nc knn: checkpoints are not readable yet (needs the models branch).");
}
