using System.Numerics;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Size-bucketed free lists of device buffers, so that a training step, which frees and asks
/// for the same sizes every step, allocates nothing new from the driver once the first step has
/// run. Sizes round up to a bucket: 256 bytes at least, above that the next multiple of a quarter
/// of the largest power of two below the size (≤ 25 % slack; 1000 → 1024, 600 → 640), so shapes
/// that differ a little (the last, smaller batch of an epoch) share buffers.
///
/// Returning a buffer while a kernel that uses it is still queued is safe: the cuda device runs
/// everything on one stream, so whoever rents the buffer next is queued behind that kernel.
/// Thread-safe.
/// </summary>
public sealed class DeviceMemoryPool(IKernelDriver driver) : IDisposable
{
    private const long MinimumBucket = 256;

    private readonly Dictionary<long, Stack<DeviceBuffer>> free = new();
    private readonly Lock gate = new();

    /// <summary>Buffers ever allocated from the driver (not counting those re-used from the pool).</summary>
    public long DriverAllocations { get; private set; }

    /// <summary>Bytes currently allocated from the driver (in use and pooled).</summary>
    public long BytesHeld { get; private set; }

    /// <summary>Bytes of the buffers waiting in the free lists.</summary>
    public long BytesPooled { get; private set; }

    /// <summary>Bytes rented and not yet returned (bucket-rounded): the tensors alive now.</summary>
    public long BytesInUse => BytesHeld - BytesPooled;

    /// <summary>The most <see cref="BytesInUse"/> has been since the pool was made or <see cref="ResetPeak"/>: the high-water mark of live tensors.</summary>
    public long PeakBytesInUse { get; private set; }

    /// <summary>Starts a new high-water mark from what is in use now (nc profile: the measured steps alone).</summary>
    public void ResetPeak()
    {
        lock (gate) PeakBytesInUse = BytesInUse;
    }

    /// <summary>The bucket a request of <paramref name="bytes"/> is served from.</summary>
    public static long BucketBytes(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes <= MinimumBucket) return MinimumBucket;
        long below = 1L << (63 - BitOperations.LeadingZeroCount((ulong)(bytes - 1)));   // largest power of two < bytes
        long step = below / 4;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes (a pooled one when the bucket has one). Zero bytes: an empty buffer.</summary>
    public DeviceBuffer Rent(long bytes)
    {
        if (bytes == 0) return DeviceBuffer.Allocate(driver, 0);
        long bucket = BucketBytes(bytes);
        lock (gate)
        {
            if (free.TryGetValue(bucket, out var stack) && stack.TryPop(out var reused))
            {
                BytesPooled -= bucket;
                PeakBytesInUse = Math.Max(PeakBytesInUse, BytesInUse);
                return reused;
            }
        }
        var fresh = DeviceBuffer.Allocate(driver, bucket);
        lock (gate)
        {
            DriverAllocations++;
            BytesHeld += bucket;
            PeakBytesInUse = Math.Max(PeakBytesInUse, BytesInUse);
        }
        return fresh;
    }

    /// <summary>Puts a buffer from <see cref="Rent"/> back on its free list.</summary>
    public void Return(DeviceBuffer buffer)
    {
        if (buffer.Bytes == 0) return;
        lock (gate)
        {
            if (!free.TryGetValue(buffer.Bytes, out var stack)) free[buffer.Bytes] = stack = new Stack<DeviceBuffer>();
            stack.Push(buffer);
            BytesPooled += buffer.Bytes;
        }
    }

    /// <summary>Frees every pooled buffer (waits for queued work first, since a queued kernel may still use one).</summary>
    public void Trim()
    {
        driver.Synchronize();
        lock (gate)
        {
            foreach (var stack in free.Values)
                while (stack.TryPop(out var b))
                {
                    BytesHeld -= b.Bytes;
                    b.Dispose();
                }
            free.Clear();
            BytesPooled = 0;
        }
    }

    public void Dispose() => Trim();
}
