namespace NativeContrastive.Engine.Tensors;

/// <summary>Shape arithmetic shared by tensors and ops.</summary>
public static class ShapeUtil
{
    public static long Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static void Validate(ReadOnlySpan<int> shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(",", shape.ToArray())}].");
    }

    /// <summary>
    /// The check of every FromArray: <paramref name="found"/> host values (named by
    /// <paramref name="unit"/>, "values" or "bytes") fill <paramref name="shape"/> exactly. Called
    /// before the tensor is allocated, so a refused call leaves no storage in the backend's pool.
    /// </summary>
    public static void RequireFromArrayCount(int found, ReadOnlySpan<int> shape, string unit)
    {
        Validate(shape);
        if (found != Count(shape))
            throw new ArgumentException($"FromArray: {found} {unit} for shape {Format(shape)} ({Count(shape)} elements).");
    }

    /// <summary>Resolves one -1 entry so the shape holds <paramref name="length"/> elements.</summary>
    public static int[] Resolve(int[] shape, long length)
    {
        var r = (int[])shape.Clone();
        int unknown = Array.IndexOf(r, -1);
        if (unknown >= 0)
        {
            long known = 1;
            for (int i = 0; i < r.Length; i++) if (i != unknown) known *= r[i];
            if (known == 0 || length % known != 0)
                throw new ArgumentException($"Cannot reshape {length} elements to [{string.Join(",", shape)}].");
            r[unknown] = (int)(length / known);
        }
        if (Count(r) != length)
            throw new ArgumentException($"Cannot reshape {length} elements to [{string.Join(",", shape)}].");
        return r;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <summary>Throws with both shapes named when they differ.</summary>
    public static void RequireSame(string op, Tensor a, Tensor b)
    {
        if (!SameShape(a.Shape, b.Shape))
            throw new ArgumentException($"{op}: shapes differ, {Format(a.Shape)} vs {Format(b.Shape)}.");
    }
}
