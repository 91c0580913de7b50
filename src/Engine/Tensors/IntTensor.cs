using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A contiguous int32 tensor on a backend: class labels, gathered row indices, arg-max
/// positions. Never differentiable.
/// </summary>
public sealed class IntTensor : PlainTensor
{
    private IntTensor(Storage storage, int[] shape) : base(storage, shape) { }

    public static IntTensor Empty(IBackend backend, params int[] shape) => new(Allocate(backend, shape, DType.Int32), (int[])shape.Clone());

    public static IntTensor FromArray(IBackend backend, ReadOnlySpan<int> data, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(data.Length, shape, "values");
        var t = Empty(backend, shape);
        backend.CopyFromHost(data, t);
        return t;
    }

    /// <summary>A 1-D index tensor. Preferred over the span overload so that a collection
    /// expression (<c>[1, 2, 3]</c>) gets its length as the shape.</summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public static IntTensor FromArray(IBackend backend, int[] data) => FromArray(backend, data, data.Length);

    public int[] ToArray()
    {
        var a = new int[Length];
        Backend.CopyToHost(this, a);
        return a;
    }
}
