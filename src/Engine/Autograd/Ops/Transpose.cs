using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = xᵀ for a 2-D x (materialised: tensors have no strided views). Backward: dx = dyᵀ.</summary>
    public static Tensor Transpose(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"Transpose: needs a 2-D tensor, got {ShapeUtil.Format(x.Shape)}.");
        int rows = x.Dim(0), cols = x.Dim(1);
        var be = x.Backend;
        var y = Tensor.Empty(be, cols, rows);
        be.Transpose(x, 1, rows, cols, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("Transpose", y, dy =>
            {
                var dx = x.EmptyLike();
                be.Transpose(dy, 1, cols, rows, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
