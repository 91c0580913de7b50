using System.Text.Json;
using System.Text.Json.Serialization;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// The options of `nc linear` (the linear evaluation protocol) with their defaults, in one
/// place; the run folder's config.json is this record after <see cref="Resolve"/>.
/// Defaults follow solo-learn's linear evaluation (SGD, momentum 0.9, lr 0.1, cosine to 0, batch
/// 256, no weight decay, 100 epochs) on features computed once with the eval transform and
/// standardised per dimension (mean and standard deviation of the training features, as a
/// BatchNorm without affine parameters in front of the classifier).
/// </summary>
public sealed record LinearProbeConfig
{
    public static readonly IReadOnlyList<string> Optimizers = ["sgd", "adam"];
    public static readonly IReadOnlyList<string> FeatureNorms = ["standardize", "l2", "none"];

    /// <summary>The checkpoint whose encoder is evaluated (a file; a run folder resolves to its last checkpoint).</summary>
    public string Checkpoint { get; init; } = "";

    /// <summary>null = the device the run was trained on.</summary>
    public string? Device { get; init; }

    /// <summary>Convolutions' precision of the feature extraction (fp32, tf32, bf16); null = the device's default (the probe's config.json records the one used).</summary>
    public string? Precision { get; init; }

    /// <summary>null = the data directory recorded in the checkpoint.</summary>
    public string? DataPath { get; init; }

    /// <summary>First N training images (null = all of them).</summary>
    public int? Limit { get; init; }

    public int Epochs { get; init; } = 100;

    public int BatchSize { get; init; } = 256;

    /// <summary>null = 0.1 for sgd, 1e-3 for adam.</summary>
    public float? Lr { get; init; }

    public string Optimizer { get; init; } = "sgd";

    /// <summary>SGD momentum (Adam β₁).</summary>
    public float Momentum { get; init; } = 0.9f;

    public float WeightDecay { get; init; }

    /// <summary>ε of label smoothing: targets (1 − ε)·one-hot + ε/C (PyTorch's definition).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>standardize | l2 | none: what is done to the encoder's features before the classifier.</summary>
    public string FeatureNorm { get; init; } = "standardize";

    /// <summary>Images per forward pass when the features are computed.</summary>
    public int FeatureBatchSize { get; init; } = 256;

    /// <summary>Seed of the classifier's initial weights and the batch order; null = the run's seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>The probe's run folder; null = "linear" inside the checkpoint's folder.</summary>
    public string? Out { get; init; }

    [JsonIgnore] public float LearningRate => Lr ?? (Optimizer == "adam" ? 1e-3f : 0.1f);

    /// <summary>Canonical names, the learning rate filled in; ArgumentException naming the flag for a bad value.</summary>
    public LinearProbeConfig Resolve()
    {
        var c = this with
        {
            Optimizer = Optimizer.Trim().ToLowerInvariant(),
            FeatureNorm = FeatureNorm.Trim().ToLowerInvariant(),
            Device = Device?.Trim().ToLowerInvariant(),
            Precision = Precision is null ? null : Precisions.Format(Precisions.Parse(Precision)),
        };
        c = c with { Lr = c.LearningRate };
        if (string.IsNullOrWhiteSpace(c.Checkpoint)) throw new ArgumentException("--checkpoint must name a checkpoint file or run folder.");
        if (!Optimizers.Contains(c.Optimizer)) throw new ArgumentException($"--optimizer: unknown value '{Optimizer}'; expected one of: {string.Join(", ", Optimizers)}.");
        if (!FeatureNorms.Contains(c.FeatureNorm)) throw new ArgumentException($"--feature-norm: unknown value '{FeatureNorm}'; expected one of: {string.Join(", ", FeatureNorms)}.");
        if (c.Device is string d && !Devices.Names.Contains(d)) throw new ArgumentException($"--device: unknown value '{Device}'; expected one of: {string.Join(", ", Devices.Names)}.");
        if (c.Epochs < 1) throw new ArgumentException($"--epochs must be ≥ 1, got {c.Epochs}.");
        if (c.BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {c.BatchSize}.");
        if (c.FeatureBatchSize < 1) throw new ArgumentException($"--feature-batch-size must be ≥ 1, got {c.FeatureBatchSize}.");
        if (!(float.IsFinite(c.LearningRate) && c.LearningRate > 0)) throw new ArgumentException($"--lr must be > 0, got {c.LearningRate}.");
        if (!(float.IsFinite(c.Momentum) && c.Momentum is >= 0 and < 1)) throw new ArgumentException($"--momentum must be in [0, 1), got {c.Momentum}.");
        if (!(float.IsFinite(c.WeightDecay) && c.WeightDecay >= 0)) throw new ArgumentException($"--weight-decay must be ≥ 0, got {c.WeightDecay}.");
        if (!(float.IsFinite(c.LabelSmoothing) && c.LabelSmoothing is >= 0 and < 1)) throw new ArgumentException($"--label-smoothing must be in [0, 1), got {c.LabelSmoothing}.");
        if (c.Limit is <= 0) throw new ArgumentException($"--limit must be > 0, got {c.Limit}.");
        return c;
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static LinearProbeConfig FromJson(string json, string source = "config")
    {
        try
        {
            return JsonSerializer.Deserialize<LinearProbeConfig>(json, Json) ?? throw new ArgumentException($"{source}: empty configuration.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: not a valid linear-probe configuration ({e.Message}).", e);
        }
    }
}
