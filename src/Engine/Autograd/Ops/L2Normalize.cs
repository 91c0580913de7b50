using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Rows of a 2-D x scaled to unit length: y = x / max(‖x‖₂, eps) (as F.normalize).
    /// Backward: dx = (dy − y·⟨dy, y⟩) / max(‖x‖₂, eps) — the projection of dy onto the
    /// tangent space of the sphere, divided by the norm.
    /// </summary>
    public static Tensor L2Normalize(Tensor x, float eps = 1e-12f)
    {
        if (x.Rank != 2) throw new ArgumentException($"L2Normalize: needs a 2-D [rows, cols] tensor, got {ShapeUtil.Format(x.Shape)}.");
        int rows = x.Dim(0), cols = x.Dim(1);
        var be = x.Backend;
        var y = x.EmptyLike();
        var norms = Tensor.Empty(be, rows);
        be.L2NormalizeRows(x, y, norms, rows, cols, eps);
        if (Tape.NeedsGrad(x))
            Tape.Record("L2Normalize", y, dy =>
            {
                var dx = x.EmptyLike();
                be.L2NormalizeRowsBackward(y, norms, dy, dx, rows, cols);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
