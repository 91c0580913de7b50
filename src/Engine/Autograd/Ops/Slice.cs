using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y = x[…, start : start+length, …] along <paramref name="dim"/> (a copy, since tensors
    /// are contiguous). ∂L/∂x is zero except the slab, which receives dy.
    /// </summary>
    public static Tensor Slice(Tensor x, int dim, int start, int length)
    {
        var layout = AxisLayout.Of("Slice", x.Shape, dim);
        if (start < 0 || length < 0 || start > layout.Size - length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: [{start}, {start}+{length}) is not inside dimension {layout.Dim} of {ShapeUtil.Format(x.Shape)}.");
        var shape = (int[])x.Shape.Clone();
        shape[layout.Dim] = length;
        var y = Tensor.Empty(x.Backend, shape);
        long block = length * layout.Inner;
        long offset = start * layout.Inner;
        x.Backend.CopyBlocks(x, offset, layout.Stride, y, 0, block, block, layout.Outer);
        if (Tape.NeedsGrad(x))
            Tape.Record("Slice", y, dy =>
            {
                var dx = x.ZerosLike();
                x.Backend.CopyBlocks(dy, 0, block, dx, offset, layout.Stride, block, layout.Outer);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
