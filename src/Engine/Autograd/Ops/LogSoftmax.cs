using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Row-wise log-softmax of a 2-D [rows, cols] tensor: y_rc = x_rc − log Σ_k exp x_rk.
    /// ∂L/∂x_rc = dy_rc − softmax_rc · Σ_k dy_rk.
    /// </summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        RequireMatrix("LogSoftmax", x);
        int rows = x.Shape[0], cols = x.Shape[1];
        var y = x.EmptyLike();
        x.Backend.LogSoftmaxRows(x, y, rows, cols);
        if (Tape.NeedsGrad(x))
            Tape.Record("LogSoftmax", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.LogSoftmaxRowsBackward(y, dy, dx, rows, cols);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }

    private static void RequireMatrix(string op, Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"{op}: expects a 2-D tensor, got {ShapeUtil.Format(x.Shape)}.");
    }
}
