using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Mean negative log-likelihood of hard targets: L = −(1/B) Σ_b log softmax(logits_b)[t_b]
    /// for logits [B, C] and targets [B] in [0, C). Fused so the backward is one pass:
    /// ∂L/∂logits_bc = (softmax_bc − [c = t_b]) / B (scaled by dL). Targets outside [0, C)
    /// throw (checked by the pick kernel on the device, so no host round trip here).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, IntTensor targets)
    {
        RequireMatrix("CrossEntropy", logits);
        int rows = logits.Shape[0], cols = logits.Shape[1];
        if (targets.Shape.Length != 1 || targets.Shape[0] != rows)
            throw new ArgumentException($"CrossEntropy: targets must be [{rows}] for logits {ShapeUtil.Format(logits.Shape)}, got {ShapeUtil.Format(targets.Shape)}.");
        if (rows == 0 || cols == 0)
            throw new ArgumentException($"CrossEntropy: needs at least one row and one class, got logits {ShapeUtil.Format(logits.Shape)}.");
        var backend = logits.Backend;

        var logp = logits.EmptyLike();
        backend.LogSoftmaxRows(logits, logp, rows, cols);
        var picked = Tensor.Empty(backend, rows);
        try
        {
            backend.PickPerRow(logp, targets, picked, rows, cols);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(nameof(targets), $"CrossEntropy: every target must be a class index in [0, {cols}). {e.Message}");
        }
        var loss = Tensor.Empty(backend, 1);
        backend.Sum(picked, loss);
        backend.Affine(loss, -1f / rows, 0f, loss);

        if (Tape.NeedsGrad(logits))
            Tape.Record("CrossEntropy", loss, dLoss =>
            {
                var dPicked = Tensor.Empty(backend, rows);
                backend.BroadcastColumn(dLoss, -1f / rows, 1, rows, dPicked);
                var dLogp = logits.EmptyLike();
                backend.PickPerRowBackward(dPicked, targets, dLogp, rows, cols);
                var dx = logits.EmptyLike();
                backend.LogSoftmaxRowsBackward(logp, dLogp, dx, rows, cols);
                Tape.AccumulateOwned(logits, dx);
            });
        return loss;
    }
}
