using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A contiguous int32 tensor on a backend: class labels, gathered row indices, arg-max
/// positions. Never differentiable.
/// </summary>
public sealed class IntTensor : IDisposable
{
    private Storage? storage;

    private IntTensor(Storage storage, int[] shape)
    {
        this.storage = storage;
        Shape = shape;
        Length = ShapeUtil.Count(shape);
        TensorScope.Register(this);
    }

    public int[] Shape { get; }

    public long Length { get; }

    public IBackend Backend => Storage.Backend;

    public Storage Storage => storage ?? throw new ObjectDisposedException(nameof(IntTensor), "IntTensor used after it was disposed.");

    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    public static IntTensor Empty(IBackend backend, params int[] shape)
    {
        ShapeUtil.Validate(shape);
        return new IntTensor(backend.Allocate(ShapeUtil.Count(shape), DType.Int32), (int[])shape.Clone());
    }

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

    public void Dispose() => Interlocked.Exchange(ref storage, null)?.Release();
}
