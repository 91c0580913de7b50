using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Joins tensors along <paramref name="dim"/> (negative counts from the end); all other
    /// dimensions must agree. Part p lands at offset o_p = Σ_{q&lt;p} size_q along dim, one
    /// block copy per outer index. ∂L/∂part_p is the matching slab of dy.
    /// </summary>
    public static Tensor Concat(int dim, params Tensor[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat: needs at least one tensor.");
        var first = parts[0];
        var layout = AxisLayout.Of("Concat", first.Shape, dim);
        int total = 0;
        foreach (var p in parts)
        {
            bool compatible = p.Rank == first.Rank && p.Backend == first.Backend;
            for (int i = 0; compatible && i < p.Rank; i++)
                compatible = i == layout.Dim || p.Shape[i] == first.Shape[i];
            if (!compatible)
                throw new ArgumentException($"Concat along {layout.Dim}: shapes {string.Join(", ", parts.Select(t => ShapeUtil.Format(t.Shape)))} differ outside that dimension (or live on different backends).");
            total = checked(total + p.Shape[layout.Dim]);
        }

        var shape = (int[])first.Shape.Clone();
        shape[layout.Dim] = total;
        var y = Tensor.Empty(first.Backend, shape);
        long yStride = total * layout.Inner;
        var offsets = new long[parts.Length];
        long offset = 0;
        for (int p = 0; p < parts.Length; p++)
        {
            offsets[p] = offset;
            long block = parts[p].Shape[layout.Dim] * layout.Inner;
            y.Backend.CopyBlocks(parts[p], 0, block, y, offset, yStride, block, layout.Outer);
            offset += block;
        }

        if (Tape.NeedsGrad(parts))
            Tape.Record("Concat", y, dy =>
            {
                for (int p = 0; p < parts.Length; p++)
                {
                    if (!parts[p].RequiresGrad) continue;
                    var dp = parts[p].EmptyLike();
                    long block = parts[p].Shape[layout.Dim] * layout.Inner;
                    dy.Backend.CopyBlocks(dy, offsets[p], yStride, dp, 0, block, block, layout.Outer);
                    Tape.AccumulateOwned(parts[p], dp);
                }
            });
        return y;
    }
}
