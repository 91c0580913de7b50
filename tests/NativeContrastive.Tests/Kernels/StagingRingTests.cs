using System.Runtime.InteropServices;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The pinned upload ring against a fake device whose copies run only when a fence is waited on
/// (the laziest device CUDA allows): every byte arrives where it was sent, the caller's span may be
/// reused at once, and no slot is rewritten or freed while a copy from it is still queued.
/// </summary>
public unsafe class StagingRingTests
{
    /// <summary>Device memory is a byte array addressed from 0; queued copies run in order at a fence's Wait or at Flush.</summary>
    private sealed class LazyDevice : IStagingDevice
    {
        public readonly byte[] Memory = new byte[1 << 20];
        public readonly List<(ulong Dst, nint Src, long Bytes)> Queue = [];
        public readonly HashSet<nint> Live = [];
        public int Allocations, Waits;

        public nint AllocPinned(long bytes)
        {
            Allocations++;
            var p = (nint)NativeMemory.Alloc((nuint)bytes);
            Live.Add(p);
            return p;
        }

        public void FreePinned(nint buffer)
        {
            Assert.That(Queue.Any(q => q.Src == buffer), Is.False, "a slot was freed while a copy from it was queued");
            Assert.That(Live.Remove(buffer), "freed twice or never allocated");
            NativeMemory.Free((void*)buffer);
        }

        public void CopyAsync(ulong destination, nint source, long bytes)
        {
            Assert.That(Live.Contains(source), "copies come from the ring's pinned slots");
            Assert.That(Queue.Any(q => q.Src == source), Is.False, "a slot was rewritten while a copy from it was queued");
            Queue.Add((destination, source, bytes));
        }

        public IStagingFence CreateFence() => new Fence(this);

        public void RunUpTo(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var (dst, src, n) = Queue[i];
                new ReadOnlySpan<byte>((void*)src, (int)n).CopyTo(Memory.AsSpan((int)dst, (int)n));
            }
            Queue.RemoveRange(0, count);
        }

        private sealed class Fence(LazyDevice device) : IStagingFence
        {
            private int position = -1;
            private int epoch;
            public void Record() { position = device.Queue.Count; epoch = device.completed; }
            public void Wait()
            {
                device.Waits++;
                // Everything queued before Record, minus what already ran since, completes now.
                int remaining = position - (device.completed - epoch);
                if (remaining > 0) { device.RunUpTo(remaining); device.completed += remaining; }
            }
            public void Dispose() { }
        }

        private int completed;

        public void Flush() { completed += Queue.Count; RunUpTo(Queue.Count); }
    }

    [Test]
    public void EveryUploadArrivesAndTheSourceIsFreeOnReturn()
    {
        var device = new LazyDevice();
        using (var ring = new StagingRing(device, slotCount: 3, maxSlotBytes: 1000))
        {
            var host = new byte[700];
            for (int i = 0; i < 20; i++)
            {
                Array.Fill(host, (byte)(i + 1));
                ring.Copy((ulong)(i * 700), host);   // the same host array every time, changed right after
            }
            Assert.That(device.Waits, Is.EqualTo(20 - 3), "a slot is waited for only when the ring comes back to it");
            device.Flush();
        }
        for (int i = 0; i < 20; i++)
            Assert.That(device.Memory.AsSpan(i * 700, 700).ToArray(), Is.All.EqualTo((byte)(i + 1)), $"upload {i}");
        Assert.That(device.Live, Is.Empty, "every slot freed on Dispose");
    }

    [Test]
    public void LargeCopiesGoInChunksAndSlotsGrowOnlyWhenIdle()
    {
        var device = new LazyDevice();
        var big = Enumerable.Range(0, 250_001).Select(i => (byte)(i * 7 % 251)).ToArray();
        using (var ring = new StagingRing(device, slotCount: 2, maxSlotBytes: 100_000))
        {
            ring.Copy(10, big.AsSpan(0, 10));
            ring.Copy(1000, big);                   // 3 chunks through 2 slots, growing them
            ring.Copy(400_000, big.AsSpan(0, 5));
            device.Flush();
            Assert.That(device.Allocations, Is.LessThanOrEqualTo(4));
        }
        Assert.That(device.Memory.AsSpan(1000, big.Length).SequenceEqual(big));
        Assert.That(device.Memory.AsSpan(10, 10).SequenceEqual(big.AsSpan(0, 10)));
        Assert.That(device.Memory.AsSpan(400_000, 5).SequenceEqual(big.AsSpan(0, 5)));
        Assert.That(device.Live, Is.Empty);
    }

    [Test]
    public void ACaptureNeverRewritesItsOwnSlotsAndFencesThemAfterTheGraph()
    {
        var device = new LazyDevice();
        using (var ring = new StagingRing(device, slotCount: 2, maxSlotBytes: 1000))
        {
            var host = new byte[100];
            ring.Copy(0, Filled(host, 1));                    // eager: fenced at once
            int fencesBefore = device.Waits;
            ring.BeginCapture();
            for (int i = 1; i <= 5; i++) ring.Copy((ulong)(i * 100), Filled(host, (byte)(i + 1)));
            // Five captured copies through a two-slot ring: nothing ran (the graph has not launched),
            // so the ring grew instead of waiting on or rewriting a captured slot (LazyDevice asserts it).
            Assert.That(ring.SlotCount, Is.GreaterThanOrEqualTo(5));
            ring.EndCapture();
            device.Flush();                                   // the graph runs
            for (int i = 0; i < 3; i++) ring.Copy((ulong)(600 + i * 100), Filled(host, (byte)(10 + i)));
            device.Flush();
            Assert.That(device.Waits, Is.GreaterThanOrEqualTo(fencesBefore));
        }
        for (int i = 0; i <= 5; i++) Assert.That(device.Memory.AsSpan(i * 100, 100).ToArray(), Is.All.EqualTo((byte)(i + 1)), $"upload {i}");
        for (int i = 0; i < 3; i++) Assert.That(device.Memory.AsSpan(600 + i * 100, 100).ToArray(), Is.All.EqualTo((byte)(10 + i)), $"after the capture {i}");
        Assert.That(device.Live, Is.Empty);
    }

    [Test]
    public void AnAbandonedCaptureFreesItsSlotsForReuse()
    {
        var device = new LazyDevice();
        using var ring = new StagingRing(device, slotCount: 2, maxSlotBytes: 1000);
        ring.BeginCapture();
        ring.Copy(0, new byte[10]);
        ring.Copy(10, new byte[10]);
        device.Queue.Clear();                                 // the discarded graph never reads its slots
        ring.AbandonCapture();
        for (int i = 0; i < 4; i++) ring.Copy((ulong)(100 + i * 10), Filled(new byte[10], 7));
        device.Flush();
        Assert.That(ring.SlotCount, Is.EqualTo(2), "no slot was added: the two captured ones were free again");
        Assert.Throws<InvalidOperationException>(() => { ring.BeginCapture(); ring.BeginCapture(); });
    }

    private static byte[] Filled(byte[] a, byte v) { Array.Fill(a, v); return a; }

    [Test]
    public void BadSizesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingRing(new LazyDevice(), slotCount: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingRing(new LazyDevice(), maxSlotBytes: 0));
        var ring = new StagingRing(new LazyDevice());
        ring.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ring.Copy(0, new byte[1]));
    }
}
