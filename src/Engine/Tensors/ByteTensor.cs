using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A contiguous uint8 tensor on a backend: the pixels of a data set, uploaded once and kept
/// there ([N, C, H, W], see Data/ResidentDataset) so that augmentation reads them in place.
/// Never differentiable; written only by <see cref="IBackend.CopyFromHost(ReadOnlySpan{byte}, ByteTensor)"/>.
/// </summary>
public sealed class ByteTensor : PlainTensor
{
    private ByteTensor(Storage storage, int[] shape) : base(storage, shape) { }

    public static ByteTensor Empty(IBackend backend, params int[] shape) => new(Allocate(backend, shape, DType.UInt8), (int[])shape.Clone());

    public static ByteTensor FromArray(IBackend backend, ReadOnlySpan<byte> data, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(data.Length, shape, "bytes");
        var t = Empty(backend, shape);
        backend.CopyFromHost(data, t);
        return t;
    }
}
