using NativeContrastive.Engine.Training.Configuration;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>kNN accuracy in percent.</summary>
public sealed record KnnScore(double Top1, double Top5, int TestCount, int BankCount);

/// <summary>
/// The outcome of <see cref="Trainer.Run(Configuration.TrainingConfig, ITrainingObserver?, CancellationToken)"/>. <see cref="Cancelled"/>: stopped by the token;
/// <see cref="CheckpointPath"/> is then the last complete checkpoint (null when none was written).
/// </summary>
public sealed record TrainingResult(
    TrainingConfig Config,
    bool Cancelled,
    int Epochs,
    long GlobalStep,
    double? FinalLoss,
    KnnScore? Knn,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    string? CheckpointPath,
    string RunDirectory);
