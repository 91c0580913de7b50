using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Allocation (pooled) and data movement. Only the copies to the host wait for the device.</summary>
public sealed partial class DeviceBackend
{
    public Storage Allocate(long length, DType type)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new DeviceStorage(this, Pool.Rent(length * type.Size()), length, type);
    }

    public void Free(Storage storage)
    {
        if (storage is not DeviceStorage d || !ReferenceEquals(d.Backend, this))
            throw new ArgumentException($"Storage from backend {storage.Backend.Name} freed on {Name}.");
        Pool.Return(d.Buffer);
    }

    public void CopyFromHost(ReadOnlySpan<float> source, Tensor destination)
    {
        RequireFits(source.Length, destination.Length, "CopyFromHost");
        Buf(destination).Upload(source);
    }

    public void CopyFromHost(ReadOnlySpan<int> source, IntTensor destination)
    {
        RequireFits(source.Length, destination.Length, "CopyFromHost");
        Buf(destination).Upload(source);
    }

    public void CopyFromHost(ReadOnlySpan<byte> source, ByteTensor destination)
    {
        RequireFits(source.Length, destination.Length, "CopyFromHost");
        Buf(destination).Upload(source);
    }

    public void CopyFromHost(ReadOnlySpan<ushort> source, Bf16Tensor destination)
    {
        RequireFits(source.Length, destination.Length, "CopyFromHost");
        Buf(destination).Upload(source);
    }

    public void CopyToHost(Bf16Tensor source, Span<ushort> destination)
    {
        RequireFits(source.Length, destination.Length, "CopyToHost");
        Buf(source).Download(destination[..(int)source.Length]);
        ThrowRecordedIndexError();
    }

    /// <summary>Waits for the queued work (the driver's copy does), copies all of <paramref name="source"/>, then raises any error a kernel recorded.</summary>
    public void CopyToHost(Tensor source, Span<float> destination)
    {
        RequireFits(source.Length, destination.Length, "CopyToHost");
        Buf(source).Download(destination[..(int)source.Length]);
        ThrowRecordedIndexError();
    }

    public void CopyToHost(IntTensor source, Span<int> destination)
    {
        RequireFits(source.Length, destination.Length, "CopyToHost");
        Buf(source).Download(destination[..(int)source.Length]);
        ThrowRecordedIndexError();
    }

    public void Copy(Tensor source, Tensor destination)
    {
        RequireFits(source.Length, destination.Length, "Copy");
        Driver.CopyDeviceToDevice(Buf(destination).Ptr, Buf(source).Ptr, source.Length * sizeof(float));
    }

    public void Fill(Tensor t, float value) => elementwise.Fill(Buf(t), value, t.Length);

    public void CopyBlocks(Tensor source, long sourceOffset, long sourceStride,
                           Tensor destination, long destinationOffset, long destinationStride,
                           long blockLength, long blockCount) =>
        elementwise.CopyBlocks(Buf(source), sourceOffset, sourceStride, Buf(destination), destinationOffset, destinationStride, blockLength, blockCount);

    public void Synchronize()
    {
        Driver.Synchronize();
        ThrowRecordedIndexError();
    }

    private static void RequireFits(long count, long capacity, string what)
    {
        if (count > capacity) throw new ArgumentException($"{what}: {count} elements do not fit in {capacity}.");
    }
}
