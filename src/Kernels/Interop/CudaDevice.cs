namespace NativeContrastive.Kernels.Interop;

/// <summary>What the driver says about a device: name, compute capability, SM count, limits.</summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, int Major, int Minor, int Multiprocessors, int MaxThreadsPerBlock,
    int SharedMemoryPerBlock, int SharedMemoryPerMultiprocessor)
{
    public string Arch => $"sm_{Major}{Minor}";
}

public static class CudaDevice
{
    /// <summary>
    /// True when a CUDA driver loads and reports at least one device; otherwise
    /// <paramref name="reason"/> says why not (no libcuda, cuInit failed, no device).
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out var detail)) { reason = $"no CUDA driver: {detail}"; return false; }
        try
        {
            CudaException.Check(CudaApi.cuInit(0));
            CudaException.Check(CudaApi.cuDeviceGetCount(out int count));
            reason = count > 0 ? $"{count} device(s)" : "the CUDA driver reports no device";
            return count > 0;
        }
        catch (CudaException e) { reason = e.Message; return false; }
    }

    public static unsafe CudaDeviceInfo Query(int ordinal = 0)
    {
        CudaException.Check(CudaApi.cuInit(0));
        CudaException.Check(CudaApi.cuDeviceGet(out int d, ordinal));
        byte* name = stackalloc byte[256];
        CudaException.Check(CudaApi.cuDeviceGetName(name, 256, d));
        int Attr(int a) { CudaException.Check(CudaApi.cuDeviceGetAttribute(out int v, a, d), $"cuDeviceGetAttribute({a})"); return v; }
        return new CudaDeviceInfo(ordinal, new string((sbyte*)name),
            Attr(CudaApi.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), Attr(CudaApi.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
            Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK),
            Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK), Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR));
    }

    public static int DriverVersion()
    {
        CudaException.Check(CudaApi.cuDriverGetVersion(out int v));
        return v;
    }
}
