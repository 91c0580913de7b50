using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Losses;

/// <summary>
/// Noise-contrastive estimation of NPID (Wu et al. 2018, §3.2). Each row b holds
/// the logits s_bj = v_jᵀf_b / τ against m+1 memory-bank entries: column 0 the positive
/// (the sample's own entry), columns 1..m negatives drawn uniformly, P_n = 1/N. With
/// P(i|v) = exp(s)/Z and the posterior that s came from the data, h = P / (P + m·P_n):
/// L = −(1/B) Σ_b [ log h(b,0) + Σ_{j≥1} log(1 − h(b,j)) ]  (J_NCE with the
/// expectation over noise sampled; as lemniscate.pytorch's NCECriterion, which sums the m
/// negatives rather than averaging them).
/// </summary>
public static class NceLoss
{
    /// <summary>
    /// The loss above. Since h = σ(u) with u = s − log(Z·m/N), it is evaluated as
    /// log h = −softplus(−u) and log(1 − h) = −softplus(u): exact, with no division and no
    /// overflow of exp(s) (the reference adds eps = 1e-7 to the denominators instead). One fused
    /// primitive per direction computes the rows (<see cref="Ops.Nce(Tensor, Tensor, long)"/>); the mean over B follows.
    /// Z is the one element of <paramref name="normaliserZ"/>, read on the device (NPID keeps its
    /// estimate there, <see cref="EstimateNormaliserInto"/>); it cannot be checked on the host without a
    /// read-back, so a Z that is not finite and &gt; 0 gives a loss that is not finite (NaN; +∞ for Z = 0),
    /// which the training step's log reports.
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor normaliserZ, long dataSize)
    {
        RequireLogits(logits);
        RequireDataSize(dataSize);
        return Ops.Mean(Ops.Nce(logits, normaliserZ, dataSize));
    }

    /// <summary><see cref="Compute(Tensor, Tensor, long)"/> with Z known on the host: checked (finite and &gt; 0) and uploaded.</summary>
    public static Tensor Compute(Tensor logits, float normaliserZ, long dataSize)
    {
        RequireLogits(logits);
        if (!(normaliserZ > 0f) || float.IsInfinity(normaliserZ)) throw new ArgumentOutOfRangeException(nameof(normaliserZ), $"NceLoss: Z must be finite and > 0, got {normaliserZ}.");
        RequireDataSize(dataSize);
        return Ops.Mean(Ops.Nce(logits, normaliserZ, dataSize));
    }

    /// <summary>
    /// Z ≈ N · mean_{b,j} exp(s_bj) (the paper's Monte-Carlo estimate of Z; lemniscate.pytorch takes
    /// the mean over all m+1 columns of the first batch), read back to the host. Computed without
    /// recording. Training uses <see cref="EstimateNormaliserInto"/>, which stays on the device; this
    /// is the host formula it is tested against.
    /// </summary>
    public static float EstimateNormaliser(Tensor logits, long dataSize)
    {
        if (logits.Length == 0) throw new ArgumentException("NceLoss.EstimateNormaliser: no logits.");
        RequireDataSize(dataSize);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        float meanExp = Ops.Mean(Ops.Exp(logits)).Item();
        return (float)(dataSize * (double)meanExp);
    }

    /// <summary>
    /// The estimate Ẑ = N · mean_{b,j} exp(s_bj) of <see cref="EstimateNormaliser"/> folded into the
    /// one-element device tensor <paramref name="normaliserZ"/> without a read-back:
    /// <paramref name="first"/> → Z ← Ẑ; otherwise Z ← α·Z + (1 − α)·Ẑ, α = <paramref name="momentum"/>
    /// (NPID's running normaliser). One Axpby on the mean, Z ← (1 − α)·N·mean + α·Z in fp32 (its β = 0
    /// never reads Z, so a fresh uninitialised tensor is fine for the first). Records nothing.
    /// </summary>
    public static void EstimateNormaliserInto(Tensor logits, long dataSize, Tensor normaliserZ, float momentum, bool first)
    {
        if (logits.Length == 0) throw new ArgumentException("NceLoss.EstimateNormaliserInto: no logits.");
        RequireDataSize(dataSize);
        if (normaliserZ.Length != 1)
            throw new ArgumentException($"NceLoss.EstimateNormaliserInto: Z must be a one-element tensor, got {ShapeUtil.Format(normaliserZ.Shape)}.", nameof(normaliserZ));
        if (!first && !(momentum >= 0f && momentum < 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), $"NceLoss: the running normaliser's momentum must be in [0, 1), got {momentum}.");
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var meanExp = Ops.Mean(Ops.Exp(logits));
        float keep = first ? 0f : momentum;
        normaliserZ.Backend.Axpby((float)(dataSize * (1.0 - keep)), meanExp, keep, normaliserZ);
    }

    private static void RequireLogits(Tensor logits)
    {
        if (logits.Rank != 2 || logits.Shape[1] < 2)
            throw new ArgumentException($"NceLoss: logits must be [B, m+1] with m ≥ 1 negatives, got {ShapeUtil.Format(logits.Shape)}.");
    }

    private static void RequireDataSize(long dataSize)
    {
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NceLoss: data size N must be > 0, got {dataSize}.");
    }
}
