using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Cross-entropy against soft targets (the term ℓ(z, q) of SwAV's swapped prediction,
    /// Caron et al. 2020, §3.1):
    /// L = −(1/B) Σ_b Σ_c p_bc log softmax(logits_b)_c for logits and probabilities [B, C].
    /// The probabilities are targets (codes from Sinkhorn) and get no gradient;
    /// ∂L/∂logits_bc = (softmax_bc · Σ_k p_bk − p_bc) / B (scaled by dL).
    /// </summary>
    public static Tensor SoftCrossEntropy(Tensor logits, Tensor targetProbabilities)
    {
        RequireMatrix("SoftCrossEntropy", logits);
        ShapeUtil.RequireSame("SoftCrossEntropy", logits, targetProbabilities);
        int rows = logits.Shape[0], cols = logits.Shape[1];
        if (rows == 0) throw new ArgumentException("SoftCrossEntropy: needs at least one row.");
        var backend = logits.Backend;

        var logp = logits.EmptyLike();
        backend.LogSoftmaxRows(logits, logp, rows, cols);
        var weighted = logits.EmptyLike();
        backend.Mul(targetProbabilities, logp, weighted);
        var loss = Tensor.Empty(backend, 1);
        backend.Sum(weighted, loss);
        backend.Affine(loss, -1f / rows, 0f, loss);

        if (Tape.NeedsGrad(logits))
            Tape.Record("SoftCrossEntropy", loss, dLoss =>
            {
                // ∂L/∂logp = −(dL/B)·p, broadcast from the one-element dL without reading it on the host.
                var dLogp = logits.EmptyLike();
                backend.BroadcastColumn(dLoss, -1f / rows, 1, rows * cols, dLogp);
                backend.Mul(dLogp, targetProbabilities, dLogp);
                var dx = logits.EmptyLike();
                backend.LogSoftmaxRowsBackward(logp, dLogp, dx, rows, cols);
                Tape.AccumulateOwned(logits, dx);
            });
        return loss;
    }
}
