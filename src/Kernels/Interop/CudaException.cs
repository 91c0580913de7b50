using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Interop;

/// <summary>A CUDA driver call failed: names the call (the expression) and the status (CUDA_ERROR_…).</summary>
public sealed class CudaException(string call, int status, string statusName, string description)
    : Exception($"{call} failed: {statusName} ({status}): {description}")
{
    public string Call { get; } = call;
    public int Status { get; } = status;
    public string StatusName { get; } = statusName;

    internal static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) throw Create(status, call);
    }

    internal static unsafe CudaException Create(int status, string call)
    {
        string name = $"CUresult {status}", text = "";
        try
        {
            if (CudaApi.cuGetErrorName(status, out nint p) == 0 && p != 0) name = Marshal.PtrToStringUTF8(p)!;
            if (CudaApi.cuGetErrorString(status, out nint q) == 0 && q != 0) text = Marshal.PtrToStringUTF8(q)!;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return new CudaException(call, status, name, text);
    }
}

/// <summary>An NVRTC call failed: the call and nvrtcGetErrorString of the status.</summary>
public sealed class NvrtcException(string call, int status, string statusName)
    : Exception($"{call} failed: {statusName} ({status})")
{
    public string Call { get; } = call;
    public int Status { get; } = status;

    internal static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) throw new NvrtcException(call, status, Marshal.PtrToStringUTF8(NvrtcApi.nvrtcGetErrorString(status)) ?? $"nvrtcResult {status}");
    }
}

/// <summary>A cuBLAS call failed: the call and the status name from cuBLAS's status table.</summary>
public sealed class CublasException(string call, int status)
    : Exception($"{call} failed: {StatusName(status)} ({status})")
{
    public string Call { get; } = call;
    public int Status { get; } = status;

    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };

    internal static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) throw new CublasException(call, status);
    }
}
