using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A contiguous uint8 tensor on a backend: the pixels of a data set, uploaded once and kept
/// there ([N, C, H, W], see Data/ResidentDataset) so that augmentation reads them in place.
/// Never differentiable; written only by <see cref="IBackend.CopyFromHost(ReadOnlySpan{byte}, ByteTensor)"/>.
/// </summary>
public sealed class ByteTensor : IDisposable
{
    private Storage? storage;

    private ByteTensor(Storage storage, int[] shape)
    {
        this.storage = storage;
        Shape = shape;
        Length = ShapeUtil.Count(shape);
        TensorScope.Register(this);
    }

    public int[] Shape { get; }

    public long Length { get; }

    public IBackend Backend => Storage.Backend;

    public Storage Storage => storage ?? throw new ObjectDisposedException(nameof(ByteTensor), "ByteTensor used after it was disposed.");

    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    public static ByteTensor Empty(IBackend backend, params int[] shape)
    {
        ShapeUtil.Validate(shape);
        return new ByteTensor(backend.Allocate(ShapeUtil.Count(shape), DType.UInt8), (int[])shape.Clone());
    }

    public static ByteTensor FromArray(IBackend backend, ReadOnlySpan<byte> data, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(data.Length, shape, "bytes");
        var t = Empty(backend, shape);
        backend.CopyFromHost(data, t);
        return t;
    }

    public void Dispose() => Interlocked.Exchange(ref storage, null)?.Release();
}
