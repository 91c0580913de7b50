using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y = x with y[r, r] = value for a 2-D [rows, cols] tensor, rows ≤ cols: the
    /// self-similarity mask of NT-Xent (Chen et al. 2020, eq. 1 sums over k ≠ i). The
    /// masked entries are constants, so ∂L/∂x = dy with a zero diagonal.
    /// </summary>
    public static Tensor MaskDiagonal(Tensor x, float value)
    {
        RequireMatrix("MaskDiagonal", x);
        int rows = x.Shape[0], cols = x.Shape[1];
        if (rows > cols) throw new ArgumentException($"MaskDiagonal: needs rows ≤ cols, got {ShapeUtil.Format(x.Shape)}.");
        var y = x.EmptyLike();
        x.Backend.FillDiagonal(x, value, rows, cols, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("MaskDiagonal", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.FillDiagonal(dy, 0f, rows, cols, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
