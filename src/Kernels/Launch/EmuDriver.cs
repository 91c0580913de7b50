using System.Runtime.InteropServices;
using NativeContrastive.Kernels.Emu;

namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// The emulated device: "device memory" is 256-byte aligned host memory, a module is the
/// family's shared library built by scripts/build-emu.sh (dlopen), a function is its export
/// &lt;kernel&gt;__emu (dlsym), and a launch calls that export with (grid, block, dynamic shared
/// bytes, void** args) — the same argument array cuLaunchKernel takes. Launches run
/// synchronously on the runtime's worker pool. Copies are checked against the allocations,
/// so a launcher that passes a wrong size fails here instead of corrupting memory.
/// The runtime is process-wide: the fiber order and stack size set here apply to every EmuDriver.
/// </summary>
public sealed unsafe partial class EmuDriver : IKernelDriver
{
    private readonly nint runtime;
    private readonly delegate* unmanaged<nint> lastError;
    private readonly delegate* unmanaged<int, ulong, void> setOrder;
    private readonly delegate* unmanaged<ulong, void> setStackSize;
    private readonly Dictionary<string, EmuModule> modules = new();
    private readonly SortedDictionary<ulong, long> allocations = new();
    private int disposed;

    public EmuDriver(string? directory = null)
    {
        Directory = directory ?? EmuBuild.Directory();
        var path = Path.Combine(Directory, EmuBuild.RuntimeLibrary);
        if (!File.Exists(path)) throw new FileNotFoundException($"The emu runtime is not built: {path} (run scripts/build-emu.sh).", path);
        runtime = NativeLibrary.Load(path);
        lastError = (delegate* unmanaged<nint>)NativeLibrary.GetExport(runtime, "nc_emu_last_error");
        setOrder = (delegate* unmanaged<int, ulong, void>)NativeLibrary.GetExport(runtime, "nc_emu_set_order");
        setStackSize = (delegate* unmanaged<ulong, void>)NativeLibrary.GetExport(runtime, "nc_emu_set_stack_size");
    }

    public string Name => "emu";

    /// <summary>The folder the runtime and the family libraries are loaded from.</summary>
    public string Directory { get; }

    /// <summary>Sets the thread order of every later launch (process-wide); random orders follow the seed.</summary>
    public void SetOrder(EmuOrder order, ulong seed = 0x5eed) => setOrder((int)order, seed);

    /// <summary>Stack bytes of each emulated thread (process-wide; default 64 KiB or $NC_EMU_STACK_KB).</summary>
    public void SetStackSize(long bytes) => setStackSize((ulong)bytes);

    public ulong Alloc(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var p = (ulong)NativeMemory.AlignedAlloc((nuint)((bytes + 255) / 256 * 256), 256);
        lock (allocations) allocations[p] = bytes;
        return p;
    }

    public void Free(ulong ptr)
    {
        if (graphs.DeferFreeIfCapturing(ptr)) return;
        lock (allocations)
            if (!allocations.Remove(ptr)) throw new ArgumentException($"0x{ptr:x} is not an emu allocation (double free?).");
        NativeMemory.AlignedFree((void*)ptr);
    }

    private void CheckRange(ulong ptr, long bytes, string what)
    {
        if (bytes == 0) return;
        lock (allocations)
        {
            foreach (var (start, size) in allocations)
                if (ptr >= start && ptr + (ulong)bytes <= start + (ulong)size) return;
        }
        throw new ArgumentOutOfRangeException(what, $"{what}: [0x{ptr:x}, +{bytes}) is not inside one emu allocation.");
    }

    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        CheckRange(dst, src.Length, "copy to device");
        if (RecordCopyToDevice(dst, src)) return;
        src.CopyTo(new Span<byte>((void*)dst, src.Length));
    }

    public void CopyToHost(Span<byte> dst, ulong src)
    {
        CheckRange(src, dst.Length, "copy to host");
        graphs.ThrowIfCapturing(Name, "a copy to the host");
        new ReadOnlySpan<byte>((void*)src, dst.Length).CopyTo(dst);
    }

    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes)
    {
        CheckRange(dst, bytes, "device copy destination");
        CheckRange(src, bytes, "device copy source");
        if (Record(GraphNodeKind.CopyDeviceToDevice, bytes, () => Buffer.MemoryCopy((void*)src, (void*)dst, bytes, bytes))) return;
        Buffer.MemoryCopy((void*)src, (void*)dst, bytes, bytes);
    }

    public void Memset(ulong dst, byte value, long bytes)
    {
        CheckRange(dst, bytes, "memset");
        if (Record(GraphNodeKind.Memset, bytes, () => NativeMemory.Fill((void*)dst, (nuint)bytes, value))) return;
        NativeMemory.Fill((void*)dst, (nuint)bytes, value);
    }

    public KernelModule Module(string family)
    {
        lock (modules)
        {
            if (!modules.TryGetValue(family, out var m))
            {
                var path = Path.Combine(Directory, family + ".so");
                if (!File.Exists(path)) throw new FileNotFoundException($"No emu build of {family}.cu: {path} (run scripts/build-emu.sh).", path);
                modules[family] = m = new EmuModule(family, NativeLibrary.Load(path));
            }
            return m;
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<KernelFunction, byte> launched = new();

    /// <summary>
    /// Every kernel ("family.cu:name") launched on any EmuDriver in this process: the test suite
    /// checks from it that each registered kernel ran on the emulator at least once.
    /// </summary>
    public static IReadOnlyCollection<string> LaunchedKernels => launched.Keys.Select(f => f.ToString()).Distinct().ToList();

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args)
    {
        if (RecordLaunch(function, grid, block, dynamicSharedBytes, args)) return;
        Run(function, grid, block, dynamicSharedBytes, args);
    }

    private void Run(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args)
    {
        launched.TryAdd(function, 0);   // the function object: no string made per launch
        var entry = (delegate* unmanaged<uint, uint, uint, uint, uint, uint, uint, void**, int>)function.Handle;
        ulong* slots = stackalloc ulong[Math.Max(1, args.Count)];
        void** argv = stackalloc void*[Math.Max(1, args.Count)];
        args.Pack(slots, argv);
        int status = entry(grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes, argv);
        if (status != 0)
            throw new KernelLaunchException($"emu launch of {function} grid {grid} block {block} failed: {Marshal.PtrToStringUTF8(lastError())}");
    }

    public void Synchronize() => graphs.ThrowIfCapturing(Name, "a wait for the device");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        graphs.Dispose();
        lock (allocations)
        {
            foreach (var p in allocations.Keys) NativeMemory.AlignedFree((void*)p);
            allocations.Clear();
        }
        // Libraries stay loaded: the runtime's worker threads live for the process, and
        // another EmuDriver loads the same files again.
    }

    private sealed class EmuModule(string family, nint library) : KernelModule(family)
    {
        protected override nint Resolve(string name) =>
            NativeLibrary.TryGetExport(library, name + "__emu", out var f) ? f
                : throw new EntryPointNotFoundException($"{Family}.cu has no kernel {name} in its emu build (missing NC_EXPORT_KERNEL?).");

        public override void Dispose() { }
    }
}
