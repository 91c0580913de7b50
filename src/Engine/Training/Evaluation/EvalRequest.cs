namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// What `nc eval` evaluates: a checkpoint, with optional overrides of its recorded settings
/// (null = what the checkpoint's configuration says) and the evaluation's own settings.
/// </summary>
public sealed record EvalRequest(string CheckpointPath)
{
    public const int DefaultBatchSize = 256, DefaultTsneSamples = 2000;

    /// <summary>kNN neighbours and weight temperature (null = the run's --knn-k / --knn-temperature).</summary>
    public int? K { get; init; }
    public float? Temperature { get; init; }
    public string? DataPath { get; init; }
    /// <summary>First N training images in the kNN bank; null = all.</summary>
    public int? Limit { get; init; }
    public int BatchSize { get; init; } = DefaultBatchSize;
    /// <summary>Device to evaluate on (cpu, cuda, emu); null = the device the run was trained on.</summary>
    public string? Device { get; init; }
    /// <summary>Convolutions' precision for the features (fp32, tf32, bf16); null = the device's default.</summary>
    public string? Precision { get; init; }
    /// <summary>Test embeddings in the t-SNE picture (a seeded sample; 0 = no picture).</summary>
    public int TsneSamples { get; init; } = DefaultTsneSamples;
    public double TsnePerplexity { get; init; } = 30;
    public int TsneIterations { get; init; } = 1000;
    /// <summary>k-means runs from different seedings; the lowest inertia is scored.</summary>
    public int KMeansRestarts { get; init; } = 1;
    /// <summary>Seed of k-means and t-SNE; null = the run's seed.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Where metrics.json, eval.csv and the pictures go; null = the checkpoint's folder.</summary>
    public string? OutputDirectory { get; init; }
}

/// <summary>
/// The scores of one embedding of the test split: weighted kNN against the training bank
/// (top-1/top-5), retrieval within the test split (precision@1, R-precision, mAP@R), and the
/// agreement of a k-means partition with the labels (NMI, AMI). All fractions in [0, 1] except
/// NMI/AMI (AMI may be slightly negative).
/// </summary>
public sealed record EmbeddingScores(string Embedding, int Dim, double KnnTop1, double KnnTop5, double PrecisionAt1, double RPrecision,
                                     double MapAtR, double Nmi, double Ami, int KMeansIterations, double TsneKl);

/// <summary>What `nc eval` measured and wrote.</summary>
public sealed record EvalReport(string CheckpointPath, int Epoch, string Method, string Arch, string Dataset, string Device, int K, float Temperature,
                                int TestCount, int BankCount, int Classes, int LoneQueries, IReadOnlyList<EmbeddingScores> Embeddings,
                                string MetricsJsonPath, string CsvPath, IReadOnlyList<string> Pictures, double Seconds);
