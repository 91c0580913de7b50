using NativeContrastive.Engine.Backends;
namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// Element type of a storage. Tensors hold float32; index tensors hold int32; byte tensors hold
/// uint8 (a data set's pixels, resident on the backend); <see cref="Bf16Tensor"/>s hold bfloat16
/// bit patterns (a bf16 run's convolution outputs). Bytes per element: <see cref="DTypes.Size"/>.
/// </summary>
public enum DType { Float32, Int32, UInt8, BFloat16 }

public static class DTypes
{
    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int Size(this DType type) => type switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.BFloat16 => 2,
        DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), $"Unknown DType {type}."),
    };
}

/// <summary>
/// A block of device memory owned by one backend. Reference counted because a reshaped
/// view shares its storage with the tensor it came from; the last release hands the block
/// back to the backend (which pools it, so a training step allocates nothing new).
/// </summary>
public abstract class Storage
{
    private int references = 1;

    protected Storage(IBackend backend, long length, DType type)
    {
        Backend = backend;
        Length = length;
        Type = type;
    }

    public IBackend Backend { get; }

    /// <summary>Number of elements (not bytes).</summary>
    public long Length { get; }

    public DType Type { get; }

    internal void AddReference() => Interlocked.Increment(ref references);

    internal void Release()
    {
        int left = Interlocked.Decrement(ref references);
        if (left == 0) Backend.Free(this);
        else if (left < 0) throw new InvalidOperationException("Storage released more often than referenced.");
    }
}
