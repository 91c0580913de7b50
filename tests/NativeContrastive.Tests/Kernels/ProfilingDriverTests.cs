using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// <see cref="ProfilingDriver"/> over the emulator: real launches of elementwise add and the
/// tiled GEMM are recorded under "family.cu:kernel" with their call counts, the bytes and FLOPs
/// their launchers declare, and positive wall times; copies by direction; nothing while
/// disabled or after a reset; a failed launch is not a call. The results are those of the
/// unwrapped driver.
/// </summary>
[NonParallelizable]
public class ProfilingDriverTests
{
    private static ProfilingDriver Profiled()
    {
        _ = Emu.Driver; // builds the emu libraries once
        return new ProfilingDriver(new EmuDriver());
    }

    [Test]
    public void RecordsEmulatedKernelsAndCopiesWithNamesCallsBytesFlopsAndTimes()
    {
        using var d = Profiled();
        const int n = 20_000, m = 70, cols = 50, k = 33;
        float[] a = EmuKernelTest.Data(n, 1), b = EmuKernelTest.Data(n, 2), ga = EmuKernelTest.Data(m * k, 3), gb = EmuKernelTest.Data(k * cols, 4);
        using var da = DeviceBuffer.From(d, a);
        using var db = DeviceBuffer.From(d, b);
        using var dy = DeviceBuffer.Allocate<float>(d, n);
        using var dga = DeviceBuffer.From(d, ga);
        using var dgb = DeviceBuffer.From(d, gb);
        using var dgc = DeviceBuffer.Allocate<float>(d, m * cols);
        var elementwise = new ElementwiseKernels(d);
        elementwise.Add(da, db, dy, n);
        elementwise.Add(da, db, dy, n);
        new GemmKernels(d).Gemm(false, false, m, cols, k, 1f, dga, dgb, 0f, dgc);
        var y = dy.ToArray<float>();

        Assert.That(y, Is.EqualTo(a.Zip(b, (p, q) => p + q).ToArray()), "the wrapped driver ran the kernel");
        var r = d.Snapshot();
        Assert.That((r.Device, r.Clock), Is.EqualTo(("emu", "wall clock")));

        var add = r["elementwise.cu:add_forward_kernel"]!;
        Assert.That((add.Kind, add.Calls, add.Bytes, add.Flops), Is.EqualTo((ProfileEntryKind.Kernel, 2L, 2L * 3 * 4 * n, 0.0)));
        Assert.That(add.TotalMs, Is.GreaterThan(0));
        Assert.That(add.MeanUs, Is.EqualTo(add.TotalMs * 1000 / 2).Within(1e-9));
        Assert.That(add.GigabytesPerSecond, Is.EqualTo(add.Bytes / (add.TotalMs * 1e6)).Within(1e-9));
        Assert.That(add.GigaflopsPerSecond, Is.Null, "add declares no FLOPs");

        var gemm = r["gemm.cu:gemm_forward_tiled_kernel"]!;
        Assert.That((gemm.Calls, gemm.Bytes, gemm.Flops), Is.EqualTo((1L, 4L * (m * k + k * cols + m * cols), 2.0 * m * cols * k)));
        Assert.That(gemm.TotalMs, Is.GreaterThan(0));
        Assert.That(gemm.GigaflopsPerSecond, Is.GreaterThan(0));

        var h2d = r["copy H2D"]!;
        Assert.That((h2d.Kind, h2d.Calls, h2d.Bytes), Is.EqualTo((ProfileEntryKind.Copy, 4L, 4L * (2 * n + m * k + k * cols))));
        var d2h = r["copy D2H"]!;
        Assert.That((d2h.Calls, d2h.Bytes), Is.EqualTo((1L, 4L * n)));
        Assert.That(r["copy D2D"], Is.Null, "rows without calls are left out");

        Assert.That(r.Entries.Select(e => e.TotalMs), Is.Ordered.Descending);
        Assert.That(r.TotalMs, Is.EqualTo(r.Entries.Sum(e => e.TotalMs)).Within(1e-9));
        Assert.That(r.TotalCalls, Is.EqualTo(2 + 1 + 4 + 1));
    }

    [Test]
    public void ConvolutionDeclaresItsMultiplyAddsAndTraffic()
    {
        using var d = Profiled();
        var g = new ConvShape(N: 2, C: 3, H: 9, W: 9, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1);
        using var x = DeviceBuffer.From(d, EmuKernelTest.Data(g.InputLength, 6));
        using var w = DeviceBuffer.From(d, EmuKernelTest.Data(g.WeightLength, 7));
        using var y = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var conv = new ConvKernels(d);
        conv.Conv2dForward(x, w, null, y, g);
        var row = d.Snapshot()["conv.cu:conv2d_forward_kernel"]!;
        Assert.That((row.Calls, row.Bytes, row.Flops),
            Is.EqualTo((1L, 4 * (g.InputLength + g.WeightLength + g.OutputLength), 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S)));
    }

    [Test]
    public void DisabledRecordsNothingAndResetForgets()
    {
        using var d = Profiled();
        using var x = DeviceBuffer.From(d, EmuKernelTest.Data(1000, 5));
        using var y = DeviceBuffer.Allocate<float>(d, 1000);
        var k = new ElementwiseKernels(d);
        k.Relu(x, y, 1000);
        d.Reset();
        Assert.That(d.Snapshot().Entries, Is.Empty);

        d.Enabled = false;
        k.Relu(x, y, 1000);
        _ = y.ToArray<float>();
        Assert.That(d.Snapshot().Entries, Is.Empty);

        d.Enabled = true;
        k.Relu(x, y, 1000);
        var relu = d.Snapshot()["elementwise.cu:relu_forward_kernel"]!;
        Assert.That((relu.Calls, relu.Bytes), Is.EqualTo((1L, 2L * 4 * 1000)));
    }

    [Test]
    public void AFailedLaunchIsNotACall()
    {
        using var d = Profiled();
        using var x = DeviceBuffer.Allocate<float>(d, 10);
        var f = d.Module("elementwise").Function("fill_forward_kernel");
        Assert.Throws<KernelLaunchException>(() =>
            d.Launch(f, 1, 2048, 0, new KernelArgs().Ptr(x).F32(1f).I64(10), LaunchCost.Elements(10)));
        Assert.That(d.Snapshot()["elementwise.cu:fill_forward_kernel"], Is.Null);
        d.Launch(f, 1, 32, 0, new KernelArgs().Ptr(x).F32(1f).I64(10));
        var fill = d.Snapshot()["elementwise.cu:fill_forward_kernel"]!;
        Assert.That((fill.Calls, fill.Bytes, fill.GigabytesPerSecond), Is.EqualTo((1L, 0L, (double?)null)), "no cost declared: no rate");
    }

    [Test]
    public void MeasureTimesWorkQueuedOutsideLaunch()
    {
        using var d = new ProfilingDriver(new CountingDriver());
        d.Measure("cublas:sgemm", LaunchCost.Gemm(8, 8, 8, readsC: false), () => Thread.Sleep(5));
        Assert.Throws<InvalidOperationException>(() => d.Measure("cublas:sgemm", default, () => throw new InvalidOperationException()));
        var row = d.Snapshot()["cublas:sgemm"]!;
        Assert.That((row.Kind, row.Calls, row.Flops), Is.EqualTo((ProfileEntryKind.Kernel, 1L, 2.0 * 8 * 8 * 8)), "the failed call is not counted");
        Assert.That(row.TotalMs, Is.GreaterThanOrEqualTo(4.5));
    }

    [Test]
    public void NameIsTheWrappedDriversAndDisposeReleasesIt()
    {
        var inner = new CountingDriver();
        var d = new ProfilingDriver(inner);
        Assert.That(d.Name, Is.EqualTo("counting"));
        Assert.That(d.Snapshot().Clock, Is.EqualTo("wall clock"), "a driver that is not cuda is timed by the wall clock");
        d.Dispose();
        d.Dispose();
        Assert.That(inner.Disposed, Is.EqualTo(1));
    }

    private sealed class CountingDriver : IKernelDriver
    {
        public int Disposed;
        public string Name => "counting";
        public ulong Alloc(long bytes) => 0;
        public void Free(ulong ptr) { }
        public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src) { }
        public void CopyToHost(Span<byte> dst, ulong src) { }
        public void CopyDeviceToDevice(ulong dst, ulong src, long bytes) { }
        public void Memset(ulong dst, byte value, long bytes) { }
        public KernelModule Module(string family) => throw new NotSupportedException();
        public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args) { }
        public void Synchronize() { }
        public void Dispose() => Disposed++;
    }
}

/// <summary>
/// <see cref="EventTimer"/>'s bookkeeping with fake events on a virtual device clock: nothing
/// waits while work is queued, a report waits once (for the newest event), events are pooled,
/// the pending bound resolves only the older half, and discarded timings are dropped.
/// </summary>
public class EventTimerTests
{
    private sealed class DeviceClock
    {
        public double Now;
        public readonly List<double> SynchronizedAt = [];
        public int Created, Disposed;
    }

    private sealed class FakeEvent : ITimingEvent
    {
        private readonly DeviceClock clock;
        private double recordedAt = double.NaN;

        public FakeEvent(DeviceClock clock) { this.clock = clock; clock.Created++; }

        public void Record() => recordedAt = clock.Now;
        public void Synchronize() => clock.SynchronizedAt.Add(recordedAt);
        public float ElapsedSince(ITimingEvent start) => (float)(recordedAt - ((FakeEvent)start).recordedAt);
        public void Dispose() => clock.Disposed++;
    }

    private static void Work(EventTimer timer, DeviceClock clock, ProfileCounter counter, double ms)
    {
        var mark = timer.Begin();
        clock.Now += ms;
        counter.AddCall(default);
        timer.End(mark, counter);
        clock.Now += 0.5; // a gap between launches is not attributed to either
    }

    [Test]
    public void TimesResolveLazilyWithOneWaitAndEventsAreReused()
    {
        var clock = new DeviceClock();
        var recorder = new ProfileRecorder();
        var counter = recorder.Counter("k", ProfileEntryKind.Kernel);
        using var timer = new EventTimer(() => new FakeEvent(clock), "fake");
        for (int i = 0; i < 10; i++) Work(timer, clock, counter, 2);
        Assert.That(clock.SynchronizedAt, Is.Empty, "recording never waits");
        Assert.That(timer.Pending, Is.EqualTo(10));
        Assert.That(recorder.Entries()[0].TotalMs, Is.EqualTo(0), "times are not known before resolving");

        timer.Resolve();
        Assert.That(clock.SynchronizedAt, Is.EqualTo(new[] { clock.Now - 0.5 }), "one wait, on the newest event");
        Assert.That(recorder.Entries()[0].TotalMs, Is.EqualTo(20).Within(1e-9));
        Assert.That(timer.EventsCreated, Is.EqualTo(20));

        for (int i = 0; i < 10; i++) Work(timer, clock, counter, 1);
        timer.Resolve();
        Assert.That(timer.EventsCreated, Is.EqualTo(20), "resolved events are reused");
        Assert.That(recorder.Entries()[0].TotalMs, Is.EqualTo(30).Within(1e-9));
        Assert.That(recorder.Entries()[0].Calls, Is.EqualTo(20));
    }

    [Test]
    public void PendingBoundResolvesTheOlderHalfOnly()
    {
        var clock = new DeviceClock();
        var recorder = new ProfileRecorder();
        var counter = recorder.Counter("k", ProfileEntryKind.Kernel);
        using var timer = new EventTimer(() => new FakeEvent(clock), "fake", maxPending: 4);
        for (int i = 0; i < 4; i++) Work(timer, clock, counter, 1);
        Assert.That(clock.SynchronizedAt, Is.Empty);
        Work(timer, clock, counter, 1);
        Assert.That(timer.Pending, Is.EqualTo(3), "5 > 4 pending: the oldest 2 were read");
        Assert.That(clock.SynchronizedAt, Is.EqualTo(new[] { 1 + 0.5 + 1 }), "waited for the end of the second launch, not the newest");
        Assert.That(recorder.Entries()[0].TotalMs, Is.EqualTo(2).Within(1e-9));
    }

    [Test]
    public void DiscardDropsPendingTimesAndDisposeReleasesEveryEvent()
    {
        var clock = new DeviceClock();
        var recorder = new ProfileRecorder();
        var counter = recorder.Counter("k", ProfileEntryKind.Kernel);
        var timer = new EventTimer(() => new FakeEvent(clock), "fake");
        Work(timer, clock, counter, 3);
        timer.Discard();
        timer.Resolve();
        Assert.That(recorder.Entries()[0].TotalMs, Is.EqualTo(0));
        var mark = timer.Begin();
        timer.Cancel(mark);
        Work(timer, clock, counter, 3);
        Assert.That(clock.Created, Is.EqualTo(2), "the cancelled and the discarded events went back to the pool");
        timer.Dispose();
        Assert.That(clock.Disposed, Is.EqualTo(clock.Created));
    }
}

/// <summary>The profiling driver on a real GPU: CUDA events time every launch on the stream. Skipped without one.</summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaProfilingTests
{
    [Test]
    public void CudaEventsTimeLaunchesAndTheDeviceReportsItsPeaks()
    {
        if (!CudaDevice.IsAvailable(out var reason)) Assert.Ignore(reason);
        using var d = new ProfilingDriver(new CudaDriver());
        const int n = 1 << 22;
        using var x = DeviceBuffer.Allocate<float>(d, n);
        using var y = DeviceBuffer.Allocate<float>(d, n);
        var k = new ElementwiseKernels(d);
        k.Fill(x, 1f, n);
        for (int i = 0; i < 20; i++) k.Scale(x, 2f, y, n);
        d.Synchronize();
        var r = d.Snapshot();
        Assert.That(r.Clock, Is.EqualTo("CUDA events"));
        Assert.That(r.Device, Does.StartWith("cuda ("));
        var scale = r["elementwise.cu:scale_forward_kernel"]!;
        Assert.That(scale.Calls, Is.EqualTo(20));
        Assert.That(scale.TotalMs, Is.GreaterThan(0));
        Assert.That(r.PeakGigabytesPerSecond, Is.GreaterThan(100));
        Assert.That(scale.GigabytesPerSecond, Is.GreaterThan(0).And.LessThan(r.PeakGigabytesPerSecond! * 1.1), "no kernel beats the memory bus");
    }
}

/// <summary>How a report orders its rows for reading: parts right under their parent.</summary>
public class ProfileReportTests
{
    private static ProfileEntry Row(string name, double ms, bool nested = false) => new(name, ProfileEntryKind.Primitive, 1, ms, 0, 0, nested);

    [Test]
    public void PartsFollowTheirParentAndAreLeftOutOfTotals()
    {
        var r = new ProfileReport("cpu", "wall clock",
        [
            Row("Conv ▸ gemm", 50, true), Row("Conv", 40), Row("Norm", 30), Row("Conv ▸ im2col", 20, true), Row("Gone ▸ x", 5, true), Row("Add", 1),
        ]);
        Assert.That(r.PartsUnderParents().Select(e => e.Name), Is.EqualTo(new[] { "Conv", "Conv ▸ gemm", "Conv ▸ im2col", "Norm", "Add", "Gone ▸ x" }));
        Assert.That((r["Conv ▸ gemm"]!.Parent, r["Conv ▸ gemm"]!.Part, r["Conv"]!.Parent, r["Conv"]!.Part), Is.EqualTo(("Conv", "gemm", (string?)null, "Conv")));
        Assert.That(r.TotalMs, Is.EqualTo(71));
        Assert.That(r.TotalCalls, Is.EqualTo(3));
    }
}

/// <summary>
/// Tensor-core FLOPs are compared with the tensor-core peak: the conv_mma launches declare the
/// precision they multiply at, the report hands each row the peak of that unit, and the peak table
/// reproduces the dense figures of NVIDIA's A100 / H100 white papers.
/// </summary>
[NonParallelizable]
public class TensorPeakTests
{
    [TestCase(Precision.Tf32)]
    [TestCase(Precision.Bf16)]
    public void ConvMmaRowsCarryTheirPrecision(Precision p)
    {
        _ = Emu.Driver;
        using var d = new ProfilingDriver(new EmuDriver());
        var g = new ConvShape(1, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1);
        using var x = DeviceBuffer.From(d, EmuKernelTest.Data((int)g.InputLength, 1));
        using var w = DeviceBuffer.From(d, EmuKernelTest.Data((int)g.WeightLength, 2));
        using var y = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var mma = new ConvMmaKernels(d);
        mma.Conv2dForward(x, w, null, y, g, p);
        new GemmKernels(d).Gemm(false, false, 4, 4, 4, 1f, x, w, 0f, y);
        var r = d.Snapshot();
        var conv = r[$"conv_mma.cu:conv2d_forward_mma_{p.ToString().ToLowerInvariant()}_kernel"]!;
        Assert.That((conv.Math, conv.Flops), Is.EqualTo((p, 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S)));
        Assert.That(r["gemm.cu:gemm_forward_tiled_kernel"]!.Math, Is.EqualTo(Precision.Fp32));
    }

    [Test]
    public void EachRowIsComparedWithThePeakOfItsUnit()
    {
        var r = new ProfileReport("cuda", "CUDA events",
            [new("a", ProfileEntryKind.Kernel, 1, 1.0, 0, 1e9, false, Precision.Fp32), new("b", ProfileEntryKind.Kernel, 1, 1.0, 0, 1e9, false, Precision.Tf32),
             new("c", ProfileEntryKind.Kernel, 1, 1.0, 0, 1e9, false, Precision.Bf16)],
            new CudaDevicePeaks(MemoryGigabytesPerSecond: 3000, Fp32GigaflopsPerSecond: 60_000, Tf32TensorGigaflopsPerSecond: 500_000,
                Bf16TensorGigaflopsPerSecond: 1_000_000));
        Assert.That(r.Entries.Select(e => r.PeakFor(e.Math)), Is.EqualTo(new double?[] { 60_000, 500_000, 1_000_000 }));
    }

    [Test]
    public void LaunchCostsOfDifferentUnitsDoNotAdd()
    {
        var fp32 = LaunchCost.Gemm(2, 2, 2, false);
        Assert.That((fp32 + LaunchCost.Elements(4)).Math, Is.EqualTo(Precision.Fp32));
        Assert.That((LaunchCost.Elements(4) + new LaunchCost(8, 16, Precision.Bf16)).Math, Is.EqualTo(Precision.Bf16), "bytes-only costs take the other's unit");
        Assert.Throws<ArgumentException>(() => _ = fp32 + new LaunchCost(8, 16, Precision.Tf32));
        Assert.That(new LaunchCost(8, 16, Precision.Tf32).Times(3), Is.EqualTo(new LaunchCost(24, 48, Precision.Tf32)));
    }

    // (SMs, clock GHz, white-paper dense TFLOP/s): A100 SXM 108 SMs at 1.41 GHz, H100 SXM 132 SMs at 1.83 GHz.
    [TestCase(8, Precision.Tf32, 108, 1.41, 156.0)]
    [TestCase(8, Precision.Bf16, 108, 1.41, 312.0)]
    [TestCase(9, Precision.Tf32, 132, 1.83, 494.7)]
    [TestCase(9, Precision.Bf16, 132, 1.83, 989.4)]
    public void TensorPeaksMatchTheWhitePapers(int major, Precision p, int sms, double ghz, double teraflops)
    {
        int perSmPerClock = CudaDevicePeaks.TensorFlopsPerSmPerClock(major, 0, p)!.Value;
        Assert.That(sms * perSmPerClock * ghz / 1e3, Is.EqualTo(teraflops).Within(0.5).Percent);
    }

    [Test]
    public void NoTensorPeakIsGuessed()
    {
        Assert.That(CudaDevicePeaks.TensorFlopsPerSmPerClock(8, 6, Precision.Bf16), Is.Null, "sm_86: the rate with fp32 accumulation varies by part");
        Assert.That(CudaDevicePeaks.TensorFlopsPerSmPerClock(7, 0, Precision.Tf32), Is.Null, "sm_70 has no tf32");
        Assert.That(CudaDevicePeaks.TensorFlopsPerSmPerClock(9, 0, Precision.Fp32), Is.Null, "fp32 is not a tensor precision");
    }
}
