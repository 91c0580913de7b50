namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// The one launch path for both devices: device memory, copies, modules and launches. The
/// cuda driver (<see cref="CudaDriver"/>) and the emulated one (<see cref="EmuDriver"/>) differ
/// only below this line; launchers, argument packing and launch configuration are shared.
/// Device pointers are 64-bit addresses. Zero-byte operations are allowed and do nothing.
/// </summary>
public interface IKernelDriver : IDisposable
{
    /// <summary>"cuda" or "emu" (ScriptDriver: "emu-script").</summary>
    string Name { get; }

    ulong Alloc(long bytes);
    void Free(ulong ptr);
    void CopyToDevice(ulong dst, ReadOnlySpan<byte> src);
    void CopyToHost(Span<byte> dst, ulong src);
    void CopyDeviceToDevice(ulong dst, ulong src, long bytes);
    void Memset(ulong dst, byte value, long bytes);

    /// <summary>The module of kernels-cu/&lt;family&gt;.cu (loaded once, then cached by the driver).</summary>
    KernelModule Module(string family);

    void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args);

    /// <summary>
    /// A launch with the launcher's declared <paramref name="cost"/> (bytes moved, FLOPs). Drivers
    /// that run kernels ignore it (this default); a profiling driver records it next to the time.
    /// Decorators must forward this overload, not the plain one, so the cost reaches the profile.
    /// </summary>
    void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args, LaunchCost cost) =>
        Launch(function, grid, block, dynamicSharedBytes, args);

    /// <summary>Waits until every launch so far has finished.</summary>
    void Synchronize();
}

/// <summary>A kernel of a loaded module: what <see cref="IKernelDriver.Launch"/> takes.</summary>
public sealed record KernelFunction(KernelModule Module, string Name, nint Handle)
{
    public override string ToString() => $"{Module.Family}.cu:{Name}";
}

/// <summary>One loaded kernels-cu family (a CUmodule, or an emu shared library); functions looked up once.</summary>
public abstract class KernelModule : IDisposable
{
    private readonly Dictionary<string, KernelFunction> functions = new();

    protected KernelModule(string family) => Family = family;

    public string Family { get; }

    public KernelFunction Function(string name)
    {
        lock (functions)
        {
            if (!functions.TryGetValue(name, out var f)) functions[name] = f = new KernelFunction(this, name, Resolve(name));
            return f;
        }
    }

    protected abstract nint Resolve(string name);

    public abstract void Dispose();
}

/// <summary>A launch failed on the emulated device (bad configuration, barrier misuse, deadlock, fault).</summary>
public sealed class KernelLaunchException(string message) : Exception(message);
