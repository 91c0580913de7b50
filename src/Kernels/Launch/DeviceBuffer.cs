using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// Owned device memory of a driver: freed once on Dispose. Typed helpers copy arrays of
/// unmanaged elements in and out. A zero-byte buffer has pointer 0 and no allocation.
/// </summary>
public sealed class DeviceBuffer : IDisposable
{
    private int disposed;

    private DeviceBuffer(IKernelDriver driver, ulong ptr, long bytes)
    {
        Driver = driver;
        Ptr = ptr;
        Bytes = bytes;
    }

    public IKernelDriver Driver { get; }
    public ulong Ptr { get; }
    public long Bytes { get; }

    public static DeviceBuffer Allocate(IKernelDriver driver, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return new DeviceBuffer(driver, bytes == 0 ? 0 : driver.Alloc(bytes), bytes);
    }

    public static unsafe DeviceBuffer Allocate<T>(IKernelDriver driver, long count) where T : unmanaged => Allocate(driver, count * sizeof(T));

    public static DeviceBuffer From<T>(IKernelDriver driver, ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = Allocate<T>(driver, data.Length);
        b.Upload(data);
        return b;
    }

    public static DeviceBuffer From<T>(IKernelDriver driver, T[] data) where T : unmanaged => From(driver, (ReadOnlySpan<T>)data);

    public unsafe long Length<T>() where T : unmanaged => Bytes / sizeof(T);

    public void Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data);
        if (bytes.Length > Bytes) throw new ArgumentException($"Upload of {bytes.Length} bytes into a {Bytes}-byte buffer.");
        if (bytes.Length > 0) Driver.CopyToDevice(Ptr, bytes);
    }

    public void Download<T>(Span<T> destination) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        if (bytes.Length > Bytes) throw new ArgumentException($"Download of {bytes.Length} bytes from a {Bytes}-byte buffer.");
        if (bytes.Length > 0) Driver.CopyToHost(bytes, Ptr);
    }

    public T[] ToArray<T>() where T : unmanaged
    {
        var a = new T[Length<T>()];
        Download<T>(a);
        return a;
    }

    public void Fill(byte value)
    {
        if (Bytes > 0) Driver.Memset(Ptr, value, Bytes);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (Ptr != 0) Driver.Free(Ptr);
    }
}
