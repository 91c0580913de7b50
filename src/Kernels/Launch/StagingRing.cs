namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// What <see cref="StagingRing"/> needs from a device: page-locked host buffers, a host→device copy
/// queued on the launch stream from such a buffer, and a fence recorded after it. <see cref="CudaDriver"/>
/// implements it with cuMemAllocHost, cuMemcpyHtoDAsync and a CUDA event; tests with a fake that
/// checks the ring never touches a buffer the device may still be reading.
/// </summary>
public interface IStagingDevice
{
    /// <summary>A page-locked host buffer of <paramref name="bytes"/> bytes.</summary>
    nint AllocPinned(long bytes);

    void FreePinned(nint buffer);

    /// <summary>Queues the copy of <paramref name="bytes"/> bytes from pinned <paramref name="source"/> to <paramref name="destination"/>; returns at once.</summary>
    void CopyAsync(ulong destination, nint source, long bytes);

    /// <summary>A reusable fence (one per slot, made once).</summary>
    IStagingFence CreateFence();
}

/// <summary>A point in the launch stream: <see cref="Record"/> puts it after the work queued so far, <see cref="Wait"/> blocks the host until the device passed it.</summary>
public interface IStagingFence : IDisposable
{
    void Record();

    void Wait();
}

/// <summary>
/// Host→device copies that do not wait for the device. A copy from ordinary (pageable) host memory
/// makes the CUDA driver wait until the device is idle before it starts, so uploading a batch each step
/// would cost a full synchronisation per step. Instead the bytes are copied on the host into one of a
/// few page-locked slots, the slot is copied to the device asynchronously on the launch stream (in order
/// with the kernels), and a fence marks when the device is done with the slot. A slot is written again
/// only after its fence passed — with <see cref="SlotCount"/> slots the host may run that many uploads ahead
/// of the device. The caller's span is free as soon as <see cref="Copy"/> returns. Copies larger than
/// <see cref="MaxSlotBytes"/> go through the ring in chunks.
/// </summary>
public sealed unsafe class StagingRing(IStagingDevice device, int slotCount = 4, long maxSlotBytes = 32L << 20) : IDisposable
{
    private sealed class Slot
    {
        public nint Buffer;
        public long Capacity;
        public IStagingFence? Fence;
        public bool InFlight;
    }

    private readonly Slot[] slots = Enumerable.Range(0, slotCount > 0 ? slotCount : throw new ArgumentOutOfRangeException(nameof(slotCount)))
        .Select(_ => new Slot()).ToArray();
    private int next;
    private bool disposed;

    public int SlotCount => slots.Length;

    /// <summary>The largest single slot; bigger copies are split.</summary>
    public long MaxSlotBytes { get; } = maxSlotBytes > 0 ? maxSlotBytes : throw new ArgumentOutOfRangeException(nameof(maxSlotBytes));

    /// <summary>Queues the upload of <paramref name="source"/> to <paramref name="destination"/>; waits only for a slot the device still reads.</summary>
    public void Copy(ulong destination, ReadOnlySpan<byte> source)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        for (long offset = 0; offset < source.Length; offset += MaxSlotBytes)
        {
            int count = (int)Math.Min(MaxSlotBytes, source.Length - offset);
            var slot = slots[next];
            next = (next + 1) % slots.Length;
            Retire(slot);
            if (slot.Capacity < count) Grow(slot, count);
            source.Slice((int)offset, count).CopyTo(new Span<byte>((void*)slot.Buffer, count));
            device.CopyAsync(destination + (ulong)offset, slot.Buffer, count);
            (slot.Fence ??= device.CreateFence()).Record();
            slot.InFlight = true;
        }
    }

    /// <summary>Waits until the device has read every slot (before the pinned memory is freed).</summary>
    public void Drain()
    {
        foreach (var slot in slots) Retire(slot);
    }

    private static void Retire(Slot slot)
    {
        if (!slot.InFlight) return;
        slot.Fence!.Wait();
        slot.InFlight = false;
    }

    private void Grow(Slot slot, long needed)
    {
        // Doubling keeps the reallocations of a growing batch size to a few; the slot is idle (retired).
        long capacity = Math.Min(MaxSlotBytes, Math.Max(needed, Math.Max(64 * 1024, slot.Capacity * 2)));
        if (slot.Buffer != 0) device.FreePinned(slot.Buffer);
        slot.Buffer = 0;
        slot.Capacity = 0;
        slot.Buffer = device.AllocPinned(capacity);
        slot.Capacity = capacity;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Drain();
        foreach (var slot in slots)
        {
            if (slot.Buffer != 0) { device.FreePinned(slot.Buffer); slot.Buffer = 0; }
            slot.Fence?.Dispose();
        }
    }
}
