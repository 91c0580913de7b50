using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Per-row InfoNCE losses [rows] of similarities s [rows, cols]:
    /// ℓ_r = −log( exp(s_{r,p_r}/τ) / Σ_{j∈J_r} exp(s_rj/τ) ), J_r = {j ≠ r} when
    /// <paramref name="excludeSelf"/> (NT-Xent's self-similarity mask; rows ≤ cols) else every column.
    /// One fused primitive (<see cref="IBackend.InfoNceRows"/>) instead of scale, mask, log-softmax
    /// and pick; it keeps log Σ exp per row so that the backward is one pass:
    /// ∂L/∂s_rj = dℓ_r · (softmax_{J_r}(s_r/τ)_j − [j = p_r]) / τ, zero on the excluded diagonal.
    /// Positives outside [0, cols), or equal to r when excluding self, throw (on the cpu; a device
    /// backend checks them where it can). No gradient flows to <paramref name="positives"/>.
    /// </summary>
    public static Tensor InfoNce(Tensor similarity, IntTensor positives, float temperature, bool excludeSelf)
    {
        RequireMatrix("InfoNce", similarity);
        int rows = similarity.Shape[0], cols = similarity.Shape[1];
        if (positives.Shape.Length != 1 || positives.Shape[0] != rows)
            throw new ArgumentException($"InfoNce: positives must be [{rows}] for similarities {ShapeUtil.Format(similarity.Shape)}, got {ShapeUtil.Format(positives.Shape)}.");
        if (rows == 0 || cols == 0)
            throw new ArgumentException($"InfoNce: needs at least one row and one column, got {ShapeUtil.Format(similarity.Shape)}.");
        if (excludeSelf && (rows > cols || cols < 2))
            throw new ArgumentException($"InfoNce: excluding self needs rows ≤ cols and cols ≥ 2, got {ShapeUtil.Format(similarity.Shape)}.");
        if (!(temperature > 0f) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"InfoNce: temperature must be finite and > 0, got {temperature}.");
        var backend = similarity.Backend;

        var loss = Tensor.Empty(backend, rows);
        var logSumExp = Tensor.Empty(backend, rows);
        backend.InfoNceRows(similarity, positives, temperature, excludeSelf, rows, cols, loss, logSumExp);

        if (Tape.NeedsGrad(similarity))
            Tape.Record("InfoNce", loss, dLoss =>
            {
                var ds = similarity.EmptyLike();
                backend.InfoNceRowsBackward(similarity, positives, logSumExp, dLoss, temperature, excludeSelf, rows, cols, ds);
                Tape.AccumulateOwned(similarity, ds);
            });
        return loss;
    }
}
