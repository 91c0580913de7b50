namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// What `nc knn` evaluates: a checkpoint, with optional overrides of its recorded settings
/// (null = what the checkpoint's configuration says).
/// </summary>
public sealed record KnnRequest(string CheckpointPath)
{
    public const int DefaultBatchSize = 256;

    public int? K { get; init; }
    public float? Temperature { get; init; }
    public string? DataPath { get; init; }
    /// <summary>First N training images in the feature bank; null = all.</summary>
    public int? Limit { get; init; }
    public int BatchSize { get; init; } = DefaultBatchSize;
    /// <summary>Device to evaluate on (cpu, cuda, emu); null = the device the run was trained on.</summary>
    public string? Device { get; init; }
    /// <summary>Convolutions' precision for the features (fp32, tf32, bf16); null = the device's default.</summary>
    public string? Precision { get; init; }
}

/// <summary>The result line of `nc knn` (accuracies in percent).</summary>
public sealed record KnnReport(int K, float Temperature, double Top1, double Top5, int TestCount, int BankCount);
