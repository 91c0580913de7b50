using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Per-anchor supervised contrastive losses [rows] (Khosla et al. 2020, L_out, eq. 2) of
    /// similarities s [rows, cols] whose anchors are the first rows of the candidates (anchor r is
    /// column r) with one label per column, labels [cols]:
    /// ℓ_r = −(1/|P(r)|) Σ_{p∈P(r)} log( exp(s_rp/τ) / Σ_{j≠r} exp(s_rj/τ) ),
    /// P(r) = {p ≠ r : labels[p] = labels[r]}; ℓ_r = 0 for an anchor without positives.
    /// One fused primitive (<see cref="IBackend.SupConRows"/>), which keeps log Σ exp and |P(r)| per
    /// row so that the backward is one pass:
    /// ∂L/∂s_rj = dℓ_r · (softmax_{j≠r}(s_r/τ)_j − [j ∈ P(r)]/|P(r)|) / τ, zero on the diagonal and on
    /// rows without positives. No gradient flows to <paramref name="labels"/>.
    /// </summary>
    public static Tensor SupCon(Tensor similarity, IntTensor labels, float temperature)
    {
        RequireMatrix("SupCon", similarity);
        int rows = similarity.Shape[0], cols = similarity.Shape[1];
        if (labels.Shape.Length != 1 || labels.Shape[0] != cols)
            throw new ArgumentException($"SupCon: labels must be [{cols}] (one per column) for similarities {ShapeUtil.Format(similarity.Shape)}, got {ShapeUtil.Format(labels.Shape)}.");
        if (rows == 0 || rows > cols || cols < 2)
            throw new ArgumentException($"SupCon: the anchors are the first rows of the candidates: needs 1 ≤ rows ≤ cols and cols ≥ 2, got {ShapeUtil.Format(similarity.Shape)}.");
        if (!(temperature > 0f) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"SupCon: temperature must be finite and > 0, got {temperature}.");
        var backend = similarity.Backend;

        var loss = Tensor.Empty(backend, rows);
        var logSumExp = Tensor.Empty(backend, rows);
        var counts = IntTensor.Empty(backend, rows);
        backend.SupConRows(similarity, labels, temperature, rows, cols, loss, logSumExp, counts);

        if (Tape.NeedsGrad(similarity))
            Tape.Record("SupCon", loss, dLoss =>
            {
                var ds = similarity.EmptyLike();
                backend.SupConRowsBackward(similarity, labels, logSumExp, counts, dLoss, temperature, rows, cols, ds);
                Tape.AccumulateOwned(similarity, ds);
            });
        return loss;
    }
}
