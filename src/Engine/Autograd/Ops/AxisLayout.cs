using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

/// <summary>
/// A contiguous tensor seen around one dimension d as [outer, size, inner]:
/// outer = Π dims before d, inner = Π dims after d. Concatenating or slicing along d is
/// then <c>outer</c> block copies of <c>size·inner</c> contiguous elements.
/// </summary>
internal readonly record struct AxisLayout(int Dim, long Outer, int Size, long Inner)
{
    public static AxisLayout Of(string op, int[] shape, int dim)
    {
        int d = dim < 0 ? dim + shape.Length : dim;
        if (d < 0 || d >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} does not exist for shape {ShapeUtil.Format(shape)}.");
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return new AxisLayout(d, outer, shape[d], inner);
    }

    /// <summary>Elements from one outer index to the next.</summary>
    public long Stride => Size * Inner;
}
