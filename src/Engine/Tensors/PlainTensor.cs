using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// What <see cref="IntTensor"/>, <see cref="ByteTensor"/> and <see cref="Bf16Tensor"/> share: a
/// contiguous block of one element type on a backend with a shape, owned by the current
/// <see cref="TensorScope"/>, loud when used after disposal. Plain: no views, and no gradients of their
/// own type (a <see cref="Bf16Tensor"/> recorded on the tape carries an fp32 <see cref="Tensor"/> one).
/// </summary>
public abstract class PlainTensor : IDisposable
{
    private Storage? storage;

    protected PlainTensor(Storage storage, int[] shape)
    {
        this.storage = storage;
        Shape = shape;
        Length = ShapeUtil.Count(shape);
        TensorScope.Register(this);
    }

    /// <summary>New storage of <paramref name="type"/> for <paramref name="shape"/> (validated) on <paramref name="backend"/>.</summary>
    protected static Storage Allocate(IBackend backend, int[] shape, DType type)
    {
        ShapeUtil.Validate(shape);
        return backend.Allocate(ShapeUtil.Count(shape), type);
    }

    public int[] Shape { get; }

    public long Length { get; }

    public int Rank => Shape.Length;

    public IBackend Backend => Storage.Backend;

    public bool IsDisposed => storage is null;

    public Storage Storage => storage ?? throw new ObjectDisposedException(GetType().Name, $"{GetType().Name} used after it was disposed.");

    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    public void Dispose() => Interlocked.Exchange(ref storage, null)?.Release();
}
