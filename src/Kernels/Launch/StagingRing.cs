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
/// <para>
/// Inside a graph capture (<see cref="BeginCapture"/>) the queued copies only run when the graph is
/// launched, so a slot written in the capture must stay as it is until then: the ring never reuses a slot
/// within one capture (it adds slots instead, so a captured step with many uploads grows the ring once),
/// records no fences while capturing, and fences the captured slots behind the graph at <see cref="EndCapture"/>.
/// </para>
/// </summary>
public sealed unsafe class StagingRing(IStagingDevice device, int slotCount = 4, long maxSlotBytes = 32L << 20) : IDisposable
{
    private sealed class Slot
    {
        public nint Buffer;
        public long Capacity;
        public IStagingFence? Fence;
        public bool InFlight;
        public bool Captured;   // written in the capture in progress
    }

    private readonly List<Slot> slots = Enumerable.Range(0, slotCount > 0 ? slotCount : throw new ArgumentOutOfRangeException(nameof(slotCount)))
        .Select(_ => new Slot()).ToList();
    private int next;
    private bool capturing, disposed;

    /// <summary>Slots now (the count given, plus any a capture needed).</summary>
    public int SlotCount => slots.Count;

    /// <summary>The largest single slot; bigger copies are split.</summary>
    public long MaxSlotBytes { get; } = maxSlotBytes > 0 ? maxSlotBytes : throw new ArgumentOutOfRangeException(nameof(maxSlotBytes));

    /// <summary>Queues the upload of <paramref name="source"/> to <paramref name="destination"/>; waits only for a slot the device still reads.</summary>
    public void Copy(ulong destination, ReadOnlySpan<byte> source)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        for (long offset = 0; offset < source.Length; offset += MaxSlotBytes)
        {
            int count = (int)Math.Min(MaxSlotBytes, source.Length - offset);
            var slot = NextSlot();
            Retire(slot);
            if (slot.Capacity < count) Grow(slot, count);
            source.Slice((int)offset, count).CopyTo(new Span<byte>((void*)slot.Buffer, count));
            device.CopyAsync(destination + (ulong)offset, slot.Buffer, count);
            if (capturing) slot.Captured = true;
            else Fence(slot);
        }
    }

    /// <summary>From here until <see cref="EndCapture"/> or <see cref="AbandonCapture"/>, copies are being captured into a graph.</summary>
    public void BeginCapture()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (capturing) throw new InvalidOperationException("StagingRing: a capture is already in progress.");
        capturing = true;
    }

    /// <summary>The graph was launched: the slots it reads are fenced behind it.</summary>
    public void EndCapture() => FinishCapture(launched: true);

    /// <summary>The capture was discarded: its slots were never read.</summary>
    public void AbandonCapture() => FinishCapture(launched: false);

    private void FinishCapture(bool launched)
    {
        capturing = false;
        foreach (var slot in slots)
        {
            if (!slot.Captured) continue;
            slot.Captured = false;
            if (launched) Fence(slot);
        }
    }

    private Slot NextSlot()
    {
        // Round robin; in a capture, the next slot the capture has not written yet, or a new one.
        for (int tried = 0; tried < slots.Count; tried++)
        {
            var slot = slots[next];
            next = (next + 1) % slots.Count;
            if (!slot.Captured) return slot;
        }
        var added = new Slot();
        slots.Insert(next, added);
        next = (next + 1) % slots.Count;
        return added;
    }

    private void Fence(Slot slot)
    {
        (slot.Fence ??= device.CreateFence()).Record();
        slot.InFlight = true;
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
