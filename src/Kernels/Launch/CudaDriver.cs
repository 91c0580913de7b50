using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Interop;

namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// The real device through the CUDA driver API: the primary context of one device, one
/// stream for all launches, modules compiled by NVRTC for the device's compute capability
/// (through the on-disk cache) and loaded as CUBIN. Copies and memsets are queued on the same stream
/// as the kernels; host→device copies go through page-locked slots (<see cref="StagingRing"/>), so an
/// upload never waits for the device to go idle, and only reads to the host wait (for the work queued
/// before them). The driver API keeps the current context per
/// host thread, so every call first makes this driver's context current on the calling thread
/// (<see cref="MakeCurrent"/>; a thread-static check makes the repeat calls free).
/// </summary>
public sealed unsafe partial class CudaDriver : IKernelDriver
{
    [ThreadStatic] private static nint currentOnThisThread;
    private readonly CudaContext context;
    private readonly Dictionary<string, CudaKernelModule> modules = new();
    private readonly StagingRing uploads;
    private int disposed;

    public CudaDriver(int ordinal = 0)
    {
        context = CudaContext.Create(ordinal);
        Device = CudaDevice.Query(ordinal);
        Arch = new GpuArch(Device.Major, Device.Minor);
        Stream = CudaStream.Create();
        uploads = new StagingRing(new PinnedUploads(this));
    }

    public string Name => "cuda";
    public CudaDeviceInfo Device { get; }
    public GpuArch Arch { get; }
    public CudaStream Stream { get; }

    /// <summary>Makes this driver's context current on the calling thread (once per thread; cheap afterwards).</summary>
    public void MakeCurrent()
    {
        if (currentOnThisThread == context.Handle) return;
        context.MakeCurrent();
        currentOnThisThread = context.Handle;
    }

    public ulong Alloc(long bytes)
    {
        MakeCurrent();
        CudaException.Check(CudaApi.cuMemAlloc(out var p, (nuint)bytes), $"cuMemAlloc({bytes})");
        return p;
    }

    public void Free(ulong ptr)
    {
        MakeCurrent();
        if (graphs.DeferFreeIfCapturing(ptr)) return;
        CudaException.Check(CudaApi.cuMemFree(ptr));
    }

    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        if (src.Length == 0) return;
        MakeCurrent();
        lock (uploads) uploads.Copy(dst, src);
    }

    public void CopyToHost(Span<byte> dst, ulong src)
    {
        if (dst.Length == 0) return;
        MakeCurrent();
        graphs.ThrowIfCapturing(Name, "a copy to the host");
        // Into pageable memory the copy completes before the call returns; on the launch stream it comes after every queued kernel.
        fixed (byte* p = dst) CudaException.Check(CudaApi.cuMemcpyDtoHAsync(p, src, (nuint)dst.Length, Stream.Handle));
        Stream.Synchronize();
    }

    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        graphs.Recording?.Transfer(GraphNodeKind.CopyDeviceToDevice, bytes);
        CudaException.Check(CudaApi.cuMemcpyDtoDAsync(dst, src, (nuint)bytes, Stream.Handle));
    }

    public void Memset(ulong dst, byte value, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        graphs.Recording?.Transfer(GraphNodeKind.Memset, bytes);
        CudaException.Check(CudaApi.cuMemsetD8Async(dst, value, (nuint)bytes, Stream.Handle));
    }

    public KernelModule Module(string family)
    {
        MakeCurrent();
        lock (modules)
        {
            if (!modules.TryGetValue(family, out var m))
            {
                var compiled = NvrtcCompiler.Compile(KernelSource.Load(family), Arch);
                modules[family] = m = new CudaKernelModule(family, CudaModule.Load(compiled.Cubin), compiled);
            }
            return m;
        }
    }

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args)
    {
        MakeCurrent();
        ulong* slots = stackalloc ulong[Math.Max(1, args.Count)];
        void** argv = stackalloc void*[Math.Max(1, args.Count)];
        args.Pack(slots, argv);
        graphs.Recording?.Kernel(function, grid, block, dynamicSharedBytes);
        CudaException.Check(CudaApi.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes,
            Stream.Handle, argv, null), $"cuLaunchKernel({function}, grid {grid}, block {block})");
    }

    public void Synchronize()
    {
        MakeCurrent();
        graphs.ThrowIfCapturing(Name, "a wait for the device");
        Stream.Synchronize();
    }

    /// <summary>Blocks per SM the driver computes for a kernel at a block size (to compare with <see cref="Occupancy"/>).</summary>
    public int MaxActiveBlocksPerSm(KernelFunction f, int blockSize, int dynamicShared = 0)
    {
        CudaException.Check(CudaApi.cuOccupancyMaxActiveBlocksPerMultiprocessor(out int blocks, f.Handle, blockSize, (nuint)dynamicShared));
        return blocks;
    }

    /// <summary>Registers per thread of a loaded kernel (cuFuncGetAttribute).</summary>
    public int Registers(KernelFunction f)
    {
        CudaException.Check(CudaApi.cuFuncGetAttribute(out int v, CudaApi.CU_FUNC_ATTRIBUTE_NUM_REGS, f.Handle));
        return v;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        context.MakeCurrent();
        AbandonCapture();
        Stream.Synchronize();
        uploads.Dispose();
        graphs.Dispose();
        foreach (var m in modules.Values) m.Dispose();
        Stream.Dispose();
        context.Dispose();
    }

    /// <summary>The staging ring's view of this driver: cuMemAllocHost slots, cuMemcpyHtoDAsync on the launch stream, timing-free events.</summary>
    private sealed class PinnedUploads(CudaDriver driver) : IStagingDevice
    {
        public nint AllocPinned(long bytes)
        {
            driver.MakeCurrent();
            CudaException.Check(CudaApi.cuMemAllocHost(out var p, (nuint)bytes), $"cuMemAllocHost({bytes})");
            return p;
        }

        public void FreePinned(nint buffer)
        {
            driver.MakeCurrent();
            CudaException.Check(CudaApi.cuMemFreeHost(buffer));
        }

        public void CopyAsync(ulong destination, nint source, long bytes)
        {
            driver.graphs.Recording?.Transfer(GraphNodeKind.CopyToDevice, bytes);
            CudaException.Check(CudaApi.cuMemcpyHtoDAsync(destination, (void*)source, (nuint)bytes, driver.Stream.Handle), $"cuMemcpyHtoDAsync({bytes})");
        }

        public IStagingFence CreateFence() => new Fence(CudaEvent.CreateFence(), driver.Stream);

        private sealed class Fence(CudaEvent evt, CudaStream stream) : IStagingFence
        {
            public void Record() => evt.Record(stream);
            public void Wait() => evt.Synchronize();
            public void Dispose() => evt.Dispose();
        }
    }

    private sealed class CudaKernelModule(string family, CudaModule module, CompiledModule compiled) : KernelModule(family)
    {
        public CompiledModule Compiled { get; } = compiled;

        protected override nint Resolve(string name) => module.GetFunction(name);

        public override void Dispose() => module.Dispose();
    }
}
