using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// The CUDA driver API calls the project uses (cuda.h, CUDA ≥ 11; the _v2 entry points are
/// the ones cuda.h maps the plain names to). Every call returns a CUresult: wrap it in
/// <see cref="CudaException.Check"/>. Device pointers are CUdeviceptr (64-bit).
/// </summary>
internal static unsafe partial class CudaApi
{
    private const string Lib = NativeLibraries.Cuda;

    public const int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    public const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    public const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81;

    public const int CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;
    public const int CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1;
    public const int CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3;
    public const int CU_FUNC_ATTRIBUTE_NUM_REGS = 4;
    public const int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    public const uint CU_STREAM_DEFAULT = 0, CU_STREAM_NON_BLOCKING = 1;
    public const uint CU_EVENT_DEFAULT = 0, CU_EVENT_DISABLE_TIMING = 2;

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int status, out nint name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int status, out nint text);

    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(out ulong ptr, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong ptr);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] public static partial int cuMemcpyHtoD(ulong dst, void* src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] public static partial int cuMemcpyDtoH(void* dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")] public static partial int cuMemcpyDtoD(ulong dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8_v2")] public static partial int cuMemsetD8(ulong dst, byte value, nuint count);
    [LibraryImport(Lib)] public static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocHost_v2")] public static partial int cuMemAllocHost(out nint ptr, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(nint ptr);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD32_v2")] public static partial int cuMemsetD32(ulong dst, uint value, nuint count);

    [LibraryImport(Lib)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(Lib)] public static partial int cuEventCreate(out nint evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(out float ms, nint start, nint end);

    // Stream capture and graphs (CUDA ≥ 12 for cuGraphExecUpdate_v2; older drivers re-instantiate instead).
    public const int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    public const int CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910;

    /// <summary>CUgraphExecUpdateResultInfo: why an update was refused (result 0: success).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GraphExecUpdateResultInfo
    {
        public int Result;
        public nint ErrorNode;
        public nint ErrorFromNode;
    }

    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")] public static partial int cuStreamBeginCapture(nint stream, int mode);
    [LibraryImport(Lib)] public static partial int cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Lib)] public static partial int cuGraphGetNodes(nint graph, nint* nodes, ref nuint count);
    [LibraryImport(Lib)] public static partial int cuGraphInstantiateWithFlags(out nint exec, nint graph, ulong flags);
    [LibraryImport(Lib, EntryPoint = "cuGraphExecUpdate_v2")] public static partial int cuGraphExecUpdate(nint exec, nint graph, out GraphExecUpdateResultInfo info);
    [LibraryImport(Lib)] public static partial int cuGraphLaunch(nint exec, nint stream);
    [LibraryImport(Lib)] public static partial int cuGraphExecDestroy(nint exec);
    [LibraryImport(Lib)] public static partial int cuGraphDestroy(nint graph);

    [LibraryImport(Lib)] public static partial int cuModuleLoadData(out nint module, void* image);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Lib)] public static partial int cuFuncGetAttribute(out int value, int attribute, nint function);
    [LibraryImport(Lib)] public static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib)] public static partial int cuOccupancyMaxActiveBlocksPerMultiprocessor(out int blocks, nint function, int blockSize, nuint dynamicSmem);
}
