using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y[n,c] = mean over h,w of x[n,c,h,w]. Backward: dx[n,c,h,w] = dy[n,c] / (H·W).</summary>
    public static Tensor GlobalAvgPool(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalAvgPool: needs [N,C,H,W], got {ShapeUtil.Format(x.Shape)}.");
        int n = x.Dim(0), c = x.Dim(1), hw = x.Dim(2) * x.Dim(3);
        var be = x.Backend;
        var y = Tensor.Empty(be, n, c);
        be.GlobalAvgPoolForward(x, y, n, c, hw);
        if (Tape.NeedsGrad(x))
            Tape.Record("GlobalAvgPool", y, dy =>
            {
                var dx = x.EmptyLike();
                be.GlobalAvgPoolBackward(dy, dx, n, c, hw);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
