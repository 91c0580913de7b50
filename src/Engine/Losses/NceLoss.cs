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
    /// primitive per direction computes the rows (<see cref="Ops.Nce"/>); the mean over B follows.
    /// </summary>
    public static Tensor Compute(Tensor logits, float normaliserZ, long dataSize)
    {
        if (logits.Rank != 2 || logits.Shape[1] < 2)
            throw new ArgumentException($"NceLoss: logits must be [B, m+1] with m ≥ 1 negatives, got {ShapeUtil.Format(logits.Shape)}.");
        if (!(normaliserZ > 0f) || float.IsInfinity(normaliserZ)) throw new ArgumentOutOfRangeException(nameof(normaliserZ), $"NceLoss: Z must be finite and > 0, got {normaliserZ}.");
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NceLoss: data size N must be > 0, got {dataSize}.");
        return Ops.Mean(Ops.Nce(logits, normaliserZ, dataSize));
    }

    /// <summary>
    /// Z ≈ N · mean_{b,j} exp(s_bj) (the paper's Monte-Carlo estimate of Z; lemniscate.pytorch takes
    /// the mean over all m+1 columns of the first batch). Computed without recording; the
    /// caller keeps it fixed for the rest of training.
    /// </summary>
    public static float EstimateNormaliser(Tensor logits, long dataSize)
    {
        if (logits.Length == 0) throw new ArgumentException("NceLoss.EstimateNormaliser: no logits.");
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NceLoss: data size N must be > 0, got {dataSize}.");
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        float meanExp = Ops.Mean(Ops.Exp(logits)).Item();
        return (float)(dataSize * (double)meanExp);
    }
}
