namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// Base of the small native owners (context, stream, event, module, cuBLAS handle):
/// Dispose releases exactly once (thread-safe), and the finalizer releases without ever
/// throwing — a failing release there is swallowed, since the process may be shutting down
/// and the driver already gone.
/// </summary>
public abstract class OwnedHandle : IDisposable
{
    private int released;

    protected OwnedHandle(nint handle) => Handle = handle;

    public nint Handle { get; }

    public bool IsDisposed => Volatile.Read(ref released) != 0;

    /// <summary>Releases the native object; returns the status of the release call.</summary>
    protected abstract int Release();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        GC.SuppressFinalize(this);
        CudaException.Check(Release(), $"{GetType().Name}.Dispose");
    }

    ~OwnedHandle()
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        try { Release(); } catch { /* never throw from a finalizer */ }
    }

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}

/// <summary>
/// A CUDA stream (CUstream). Work on one stream runs in order. Created blocking (CU_STREAM_DEFAULT),
/// so work that still lands on the legacy default stream stays ordered with it; the driver queues its
/// copies and memsets on this stream itself (<see cref="Launch.CudaDriver"/>).
/// </summary>
public sealed class CudaStream : OwnedHandle
{
    private CudaStream(nint h) : base(h) { }

    public static CudaStream Create()
    {
        CudaException.Check(CudaApi.cuStreamCreate(out var s, CudaApi.CU_STREAM_DEFAULT));
        return new CudaStream(s);
    }

    public void Synchronize() { ThrowIfDisposed(); CudaException.Check(CudaApi.cuStreamSynchronize(Handle)); }

    protected override int Release() => CudaApi.cuStreamDestroy(Handle);
}

/// <summary>A CUDA event (CUevent) for timing: record on a stream, synchronize, elapsed milliseconds.</summary>
public sealed class CudaEvent : OwnedHandle
{
    private CudaEvent(nint h) : base(h) { }

    public static CudaEvent Create()
    {
        CudaException.Check(CudaApi.cuEventCreate(out var e, CudaApi.CU_EVENT_DEFAULT));
        return new CudaEvent(e);
    }

    /// <summary>An event without timing (cheaper to record and wait on): a fence for ordering only.</summary>
    public static CudaEvent CreateFence()
    {
        CudaException.Check(CudaApi.cuEventCreate(out var e, CudaApi.CU_EVENT_DISABLE_TIMING));
        return new CudaEvent(e);
    }

    public void Record(CudaStream? stream = null) => CudaException.Check(CudaApi.cuEventRecord(Handle, stream?.Handle ?? 0));

    public void Synchronize() => CudaException.Check(CudaApi.cuEventSynchronize(Handle));

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and completed).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        CudaException.Check(CudaApi.cuEventElapsedTime(out float ms, start.Handle, Handle));
        return ms;
    }

    protected override int Release() => CudaApi.cuEventDestroy(Handle);
}

/// <summary>A loaded module (CUmodule) from a CUBIN or PTX image.</summary>
public sealed class CudaModule : OwnedHandle
{
    private CudaModule(nint h) : base(h) { }

    /// <summary>Loads a CUBIN, or PTX (which must end with a NUL byte; added when missing).</summary>
    public static unsafe CudaModule Load(byte[] image)
    {
        if (image.Length == 0 || image[^1] != 0) image = [.. image, 0];
        fixed (byte* p = image)
        {
            CudaException.Check(CudaApi.cuModuleLoadData(out var m, p));
            return new CudaModule(m);
        }
    }

    public nint GetFunction(string name)
    {
        ThrowIfDisposed();
        CudaException.Check(CudaApi.cuModuleGetFunction(out var f, Handle, name), $"cuModuleGetFunction({name})");
        return f;
    }

    protected override int Release() => CudaApi.cuModuleUnload(Handle);
}

/// <summary>The primary context of one device, retained for the owner's lifetime and made current.</summary>
public sealed class CudaContext : OwnedHandle
{
    private CudaContext(nint h, int device) : base(h) => Device = device;

    public int Device { get; }

    /// <summary>cuInit, then retains device <paramref name="ordinal"/>'s primary context and makes it current.</summary>
    public static CudaContext Create(int ordinal = 0)
    {
        CudaException.Check(CudaApi.cuInit(0));
        CudaException.Check(CudaApi.cuDeviceGet(out int device, ordinal));
        CudaException.Check(CudaApi.cuDevicePrimaryCtxRetain(out var ctx, device));
        CudaException.Check(CudaApi.cuCtxSetCurrent(ctx));
        return new CudaContext(ctx, device);
    }

    /// <summary>Makes this context current on the calling thread (driver state is per thread).</summary>
    public void MakeCurrent() => CudaException.Check(CudaApi.cuCtxSetCurrent(Handle));

    public void Synchronize() => CudaException.Check(CudaApi.cuCtxSynchronize());

    protected override int Release() => CudaApi.cuDevicePrimaryCtxRelease(Device);
}
