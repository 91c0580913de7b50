namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// Grow-only scratch memory of a launcher: <see cref="Get"/> returns a buffer of at least the
/// requested size, reallocating only when a call needs more than any call before it — so a
/// training step that repeats the same shapes allocates nothing in steady state. The contents
/// are undefined between calls; kernels that use it write before they read. Launches are
/// stream-ordered, so consecutive calls may reuse it; one launcher (and so one workspace) must not
/// be used from two streams or threads at once. A replaced buffer is freed at growth (cuMemFree
/// waits for the work that may still use it).
/// </summary>
public sealed class Workspace(IKernelDriver driver) : IDisposable
{
    private DeviceBuffer? buffer;

    /// <summary>Bytes currently held.</summary>
    public long Bytes => buffer?.Bytes ?? 0;

    public DeviceBuffer Get(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (buffer is null || buffer.Bytes < bytes)
        {
            buffer?.Dispose();
            buffer = null;
            // Round up to 64 KiB so that a slowly growing size does not reallocate every call.
            buffer = DeviceBuffer.Allocate(driver, (Math.Max(bytes, 1) + 65535) / 65536 * 65536);
        }
        return buffer;
    }

    public void Dispose()
    {
        buffer?.Dispose();
        buffer = null;
    }
}
