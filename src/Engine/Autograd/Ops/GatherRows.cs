using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y[i] = x[index[i]] for x [N, …] (rows are x's first dimension) and index [M]:
    /// y is [M, …]. ∂L/∂x[j] = Σ_{i: index[i] = j} dy[i] (a scatter-add; repeated rows sum).
    /// </summary>
    public static Tensor GatherRows(Tensor x, IntTensor index)
    {
        if (x.Rank == 0) throw new ArgumentException("GatherRows: x needs a row dimension.");
        if (index.Shape.Length != 1) throw new ArgumentException($"GatherRows: index must be 1-D, got {ShapeUtil.Format(index.Shape)}.");
        int cols = RowWidth(x);
        var shape = (int[])x.Shape.Clone();
        shape[0] = index.Shape[0];
        var y = Tensor.Empty(x.Backend, shape);
        x.Backend.GatherRows(x, index, y, cols);
        if (Tape.NeedsGrad(x))
            Tape.Record("GatherRows", y, dy =>
            {
                var dx = x.ZerosLike();
                x.Backend.ScatterAddRows(dy, index, dx, cols);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }

    /// <summary>Elements per row when the first dimension indexes rows.</summary>
    private static int RowWidth(Tensor x)
    {
        long cols = 1;
        for (int i = 1; i < x.Rank; i++) cols *= x.Shape[i];
        return checked((int)cols);
    }
}
