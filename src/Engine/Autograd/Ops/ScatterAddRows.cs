using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y = destination with source rows added at index: y[index[i]] += source[i]
    /// (destination [N, …], source [M, …] with equal row shape, index [M]; repeated indices
    /// accumulate). A new tensor: destination is not modified.
    /// ∂L/∂destination = dy, ∂L/∂source[i] = dy[index[i]].
    /// </summary>
    public static Tensor ScatterAddRows(Tensor destination, Tensor source, IntTensor index)
    {
        if (destination.Rank == 0 || source.Rank != destination.Rank || !source.Shape.AsSpan(1).SequenceEqual(destination.Shape.AsSpan(1)))
            throw new ArgumentException($"ScatterAddRows: source rows {ShapeUtil.Format(source.Shape)} do not match destination rows {ShapeUtil.Format(destination.Shape)}.");
        if (index.Shape.Length != 1 || index.Shape[0] != source.Shape[0])
            throw new ArgumentException($"ScatterAddRows: index must be [{source.Shape[0]}] (one per source row), got {ShapeUtil.Format(index.Shape)}.");
        int cols = RowWidth(destination);
        var y = destination.Clone();
        y.Backend.ScatterAddRows(source, index, y, cols);
        if (Tape.NeedsGrad(destination, source))
            Tape.Record("ScatterAddRows", y, dy =>
            {
                Tape.Accumulate(destination, dy);
                if (source.RequiresGrad)
                {
                    var ds = source.EmptyLike();
                    y.Backend.GatherRows(dy, index, ds, cols);
                    Tape.AccumulateOwned(source, ds);
                }
            });
        return y;
    }
}
