using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// SwAV's Sinkhorn-Knopp codes (Caron et al. 2020, kernels-cu/sinkhorn.cu): the equipartitioned
/// soft assignment of a batch of samples to prototypes that SwAV's swapped prediction uses as targets.
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// codes [B, K] ← the Sinkhorn-Knopp codes of scores [B, K] (B = <paramref name="rows"/> samples,
    /// K = <paramref name="cols"/> prototypes, row b = sample b's scores against the prototypes), with
    /// the semantics of the official SwAV <c>distributed_sinkhorn</c> on one process:
    /// Q = exp(s/ε)ᵀ [K, B]; Q /= ΣQ; T = <paramref name="iterations"/> times { each prototype row k:
    /// Q_k· /= Σ_b Q_kb, then /= K; each sample column b: Q_·b /= Σ_k Q_kb, then /= B }; codes = (B·Q)ᵀ,
    /// so every sample's code sums to 1.
    /// Computed in the log domain, Q_kb = exp(s_bk/ε + u_k + v_b), with max-subtracted log-sum-exps:
    /// u_k ← −log K − LSE_b(s_bk/ε + v_b), v_b ← −log B − LSE_k(s_bk/ε + u_k) from v = 0 (the initial
    /// total normalisation is a constant the first prototype step divides out), and
    /// codes_b· = softmax_k(s_b·/ε + u) after the last prototype step. Mathematically equal to the
    /// official algorithm; unlike it, nothing overflows and no 0/0 occurs for any finite scores.
    /// Requires rows ≥ 1, cols ≥ 1, ε &gt; 0 finite (1/ε finite), iterations ≥ 1 (SwAV uses 3; with no
    /// iteration the official code returns B·exp(s/ε)/Σexp, which is not a code — rows do not sum to 1 —
    /// so 0 is rejected); otherwise an ArgumentOutOfRangeException naming the argument. codes must not
    /// share storage with scores. fp32 storage on every backend: the cpu reference accumulates in
    /// double, the device kernels in float.
    /// </summary>
    void SinkhornCodes(Tensor scores, Tensor codes, int rows, int cols, float epsilon, int iterations);
}

/// <summary>The argument rules of <see cref="IBackend.SinkhornCodes"/>, shared by the backends and the op.</summary>
public static class SinkhornArguments
{
    /// <summary>rows ≥ 1, cols ≥ 1, ε &gt; 0 finite with 1/ε finite, iterations ≥ 1; else ArgumentOutOfRangeException naming the argument.</summary>
    public static void Validate(int rows, int cols, float epsilon, int iterations) => SinkhornKernels.Validate(rows, cols, epsilon, iterations);

    /// <summary>The scalars as above, then both tensors hold rows × cols values and do not share storage (ArgumentException naming the tensor).</summary>
    public static void Validate(Tensor scores, Tensor codes, int rows, int cols, float epsilon, int iterations)
    {
        Validate(rows, cols, epsilon, iterations);
        long n = (long)rows * cols;
        if (scores.Length != n) throw new ArgumentException($"SinkhornCodes: scores {scores} does not hold rows × cols = {rows} × {cols} values.", nameof(scores));
        if (codes.Length != n) throw new ArgumentException($"SinkhornCodes: codes {codes} does not hold rows × cols = {rows} × {cols} values.", nameof(codes));
        if (ReferenceEquals(scores.Storage, codes.Storage))
            throw new ArgumentException("SinkhornCodes: codes must not share storage with scores.", nameof(codes));
    }
}
