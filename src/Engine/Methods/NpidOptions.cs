namespace NativeContrastive.Engine.Methods;

/// <summary>
/// NPID settings, defaults from Wu et al. 2018 and lemniscate.pytorch: m = 4096 negatives,
/// τ = 0.07, bank momentum 0.5, 128-d embedding.
/// </summary>
public sealed record NpidOptions
{
    /// <summary>m, noise samples per example for NCE (ignored with <see cref="FullSoftmax"/>).</summary>
    public int Negatives { get; init; } = 4096;

    /// <summary>τ: logits are vᵢᵀf / τ.</summary>
    public float Temperature { get; init; } = 0.07f;

    /// <summary>m of v_bank ← m·v_bank + (1−m)·v.</summary>
    public float Momentum { get; init; } = 0.5f;

    /// <summary>
    /// The paper's non-parametric softmax (eq. 2) over all N bank entries with cross-entropy
    /// against the sample's own index, instead of NCE. Costs a [B, N] logit matrix per step:
    /// only sensible for small N.
    /// </summary>
    public bool FullSoftmax { get; init; }

    /// <summary>Embedding dimension (default head output; the method takes it as an argument).</summary>
    public int EmbedDim { get; init; } = 128;

    public void Validate()
    {
        if (Negatives <= 0) throw new ArgumentOutOfRangeException(nameof(Negatives), $"NPID: negatives must be > 0, got {Negatives}.");
        if (!(Temperature > 0f) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"NPID: temperature must be finite and > 0, got {Temperature}.");
        if (!(Momentum >= 0f && Momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(Momentum), $"NPID: momentum must be in [0, 1], got {Momentum}.");
        if (EmbedDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbedDim), $"NPID: embed dim must be > 0, got {EmbedDim}.");
    }
}
