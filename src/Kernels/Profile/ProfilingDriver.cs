using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// A driver that profiles another: every launch, copy and memset goes to the wrapped driver
/// unchanged, and while <see cref="Enabled"/> is recorded under its name — calls, the declared
/// <see cref="LaunchCost"/> and the time the device spent. Kernels are named "family.cu:kernel";
/// data movement "copy H2D", "copy D2H", "copy D2D" (bytes: read + written, so 2× the size) and
/// "memset". Times come from <see cref="LaunchTimer.For"/>: CUDA events around each call on the
/// cuda driver's stream, resolved only when <see cref="Snapshot"/> asks (the stream is not
/// serialised by the profiling), wall clock on the synchronous emulator. Allocation and module
/// loading pass through untimed. The profiling driver owns the wrapped one and disposes it.
/// </summary>
public sealed class ProfilingDriver : IKernelDriver, IProfileSource, IGraphCapture
{
    private readonly LaunchTimer timer;
    private readonly ProfileRecorder recorder = new();
    private readonly Dictionary<KernelFunction, ProfileCounter> kernels = new(ReferenceEqualityComparer.Instance);
    private readonly ProfileCounter toDevice, toHost, deviceToDevice, memset;
    private readonly Lazy<CudaDevicePeaks?> peaks;
    private int disposed;

    public ProfilingDriver(IKernelDriver inner) : this(inner, LaunchTimer.For(inner)) { }

    public ProfilingDriver(IKernelDriver inner, LaunchTimer timer)
    {
        Inner = inner;
        this.timer = timer;
        toDevice = recorder.Counter("copy H2D", ProfileEntryKind.Copy);
        toHost = recorder.Counter("copy D2H", ProfileEntryKind.Copy);
        deviceToDevice = recorder.Counter("copy D2D", ProfileEntryKind.Copy);
        memset = recorder.Counter("memset", ProfileEntryKind.Copy);
        peaks = new(() => inner is CudaDriver cuda ? CudaDevicePeaks.Query(cuda.Device.Ordinal) : null);
    }

    /// <summary>The driver that runs the work.</summary>
    public IKernelDriver Inner { get; }

    /// <summary>
    /// The driver that runs the work behind any profiling wrappers: code that needs the concrete
    /// driver (cuBLAS on the <see cref="CudaDriver"/>'s stream) looks through the profiling with this.
    /// </summary>
    public static IKernelDriver Unwrap(IKernelDriver driver) => driver is ProfilingDriver p ? Unwrap(p.Inner) : driver;

    /// <summary>The wrapped driver's name: the profiling is invisible to callers.</summary>
    public string Name => Inner.Name;

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Calls are timed while enabled and not inside a graph capture: captured work runs later as one
    /// graph, so a capture is forwarded unrecorded and the profile of a graph step is its wall time.
    /// </summary>
    private bool Timing => Enabled && !IsCapturing;

    private IGraphCapture Graphs => Inner as IGraphCapture
        ?? throw new NotSupportedException($"The {Inner.Name} driver cannot capture graphs.");

    public bool IsCapturing => Inner is IGraphCapture { IsCapturing: true };

    public GraphStats GraphStats => (Inner as IGraphCapture)?.GraphStats ?? default;

    public void BeginCapture() => Graphs.BeginCapture();

    public void EndCaptureAndLaunch() => Graphs.EndCaptureAndLaunch();

    public void AbandonCapture() => Graphs.AbandonCapture();

    public ulong Alloc(long bytes) => Inner.Alloc(bytes);

    public void Free(ulong ptr) => Inner.Free(ptr);

    public KernelModule Module(string family) => Inner.Module(family);

    public void Synchronize() => Inner.Synchronize();

    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        if (!Timing) { Inner.CopyToDevice(dst, src); return; }
        var mark = timer.Begin();
        try { Inner.CopyToDevice(dst, src); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, toDevice, new LaunchCost(src.Length));
    }

    public void CopyToHost(Span<byte> dst, ulong src)
    {
        if (!Timing) { Inner.CopyToHost(dst, src); return; }
        var mark = timer.Begin();
        try { Inner.CopyToHost(dst, src); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, toHost, new LaunchCost(dst.Length));
    }

    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes)
    {
        if (!Timing) { Inner.CopyDeviceToDevice(dst, src, bytes); return; }
        var mark = timer.Begin();
        try { Inner.CopyDeviceToDevice(dst, src, bytes); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, deviceToDevice, new LaunchCost(2 * bytes));
    }

    public void Memset(ulong dst, byte value, long bytes)
    {
        if (!Timing) { Inner.Memset(dst, value, bytes); return; }
        var mark = timer.Begin();
        try { Inner.Memset(dst, value, bytes); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, memset, new LaunchCost(bytes));
    }

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args) =>
        Launch(function, grid, block, dynamicSharedBytes, args, LaunchCost.None);

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args, LaunchCost cost)
    {
        if (!Timing) { Inner.Launch(function, grid, block, dynamicSharedBytes, args, cost); return; }
        var counter = CounterOf(function);
        var mark = timer.Begin();
        try { Inner.Launch(function, grid, block, dynamicSharedBytes, args, cost); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, counter, cost);
    }

    /// <summary>
    /// Times device work queued outside <see cref="Launch(KernelFunction, Dim3, Dim3, uint, KernelArgs, LaunchCost)"/>
    /// — a cuBLAS call on the cuda driver's stream — as a kernel row <paramref name="name"/>
    /// (e.g. "cublas:sgemm") with its declared cost. Runs <paramref name="work"/> unrecorded when disabled.
    /// </summary>
    public void Measure(string name, LaunchCost cost, Action work)
    {
        if (!Timing) { work(); return; }
        var counter = recorder.Counter(name, ProfileEntryKind.Kernel);
        var mark = timer.Begin();
        try { work(); }
        catch { timer.Cancel(mark); throw; }
        Done(mark, counter, cost);
    }

    /// <summary>Counts the call only once the wrapped driver accepted it (a failed launch is not a call).</summary>
    private void Done(TimingMark mark, ProfileCounter counter, LaunchCost cost)
    {
        counter.AddCall(cost);
        timer.End(mark, counter);
    }

    private ProfileCounter CounterOf(KernelFunction function)
    {
        lock (kernels)
        {
            if (!kernels.TryGetValue(function, out var c))
                kernels[function] = c = recorder.Counter(function.ToString(), ProfileEntryKind.Kernel);
            return c;
        }
    }

    public void Reset()
    {
        timer.Discard();
        recorder.Clear();
    }

    public ProfileReport Snapshot()
    {
        timer.Resolve();
        string device = Inner is CudaDriver cuda ? $"{Inner.Name} ({cuda.Device.Name}, {cuda.Device.Arch})" : Inner.Name;
        return new ProfileReport(device, timer.Clock, recorder.Entries(), peaks.Value);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try { timer.Dispose(); }
        finally { Inner.Dispose(); }
    }
}
