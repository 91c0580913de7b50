using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Matrix products and transposes: kernels-cu/gemm.cu (tiled kernel, batch in the grid's z), or
/// cuBLAS SGEMM / strided-batched SGEMM on the cuda device (<see cref="GemmEngine"/>). Both read
/// β = 0 as "ignore C" (NaN in C included), as IBackend requires.
/// </summary>
public sealed partial class DeviceBackend
{
    /// <summary>Environment variable that picks the GEMM engine (cublas | ours) when a backend is made.</summary>
    public const string GemmEnvironmentVariable = "NC_GEMM";

    private DeviceGemmEngine gemmEngine;
    private CublasHandle? cublas;

    /// <summary>The code behind Gemm and GemmStridedBatched. Cublas only on the cuda device with libcublas present.</summary>
    public DeviceGemmEngine GemmEngine
    {
        get => gemmEngine;
        set
        {
            if (value == DeviceGemmEngine.Cublas)
            {
                if (ProfilingDriver.Unwrap(Driver) is not CudaDriver) throw new InvalidOperationException($"cuBLAS GEMM needs the cuda device; the {Name} device uses our GEMM kernel.");
                if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) throw new InvalidOperationException($"cuBLAS GEMM: {why}");
            }
            gemmEngine = value;
        }
    }

    /// <summary>NC_GEMM on cuda (cublas unless it says ours or libcublas is missing); ours on any other driver.</summary>
    private static DeviceGemmEngine DefaultGemmEngine(IKernelDriver driver)
    {
        if (ProfilingDriver.Unwrap(driver) is not CudaDriver) return DeviceGemmEngine.Ours;
        string? asked = Environment.GetEnvironmentVariable(GemmEnvironmentVariable)?.Trim().ToLowerInvariant();
        switch (asked)
        {
            case null or "" or "cublas":
                if (NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) return DeviceGemmEngine.Cublas;
                if (asked == "cublas") throw new DeviceUnavailableException($"{GemmEnvironmentVariable}=cublas: {why}");
                return DeviceGemmEngine.Ours;
            case "ours": return DeviceGemmEngine.Ours;
            default: throw new DeviceUnavailableException($"{GemmEnvironmentVariable}={asked}: expected cublas or ours.");
        }
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long aOffset, Tensor b, long bOffset,
                     float beta, Tensor c, long cOffset) =>
        GemmStridedBatched(transA, transB, m, n, k, alpha, a, aOffset, 0, b, bOffset, 0, beta, c, cOffset, 0, 1);

    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long strideA, Tensor b, long strideB,
                                   float beta, Tensor c, long strideC, int count) =>
        GemmStridedBatched(transA, transB, m, n, k, alpha, a, 0, strideA, b, 0, strideB, beta, c, 0, strideC, count);

    private void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long aOffset, long strideA,
                                    Tensor b, long bOffset, long strideB, float beta, Tensor c, long cOffset, long strideC, int count)
    {
        if (gemmEngine == DeviceGemmEngine.Cublas && m > 0 && n > 0 && count > 0)
        {
            CublasGemm(transA, transB, m, n, k, alpha, Buf(a), aOffset, strideA, Buf(b), bOffset, strideB, beta, Buf(c), cOffset, strideC, count);
            return;
        }
        gemm.GemmStridedBatched(transA, transB, m, n, k, alpha, Buf(a), aOffset, strideA, Buf(b), bOffset, strideB, beta, Buf(c), cOffset, strideC, count);
    }

    /// <summary>
    /// cuBLAS on the driver's stream; packed row-major operands (leading dimensions the stored row
    /// lengths, at least 1). Under a <see cref="ProfilingDriver"/> the call is a profile row of its own.
    /// </summary>
    private void CublasGemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, long aOffset, long strideA,
                            DeviceBuffer b, long bOffset, long strideB, float beta, DeviceBuffer c, long cOffset, long strideC, int count)
    {
        var cuda = (CudaDriver)ProfilingDriver.Unwrap(Driver);
        cuda.MakeCurrent();
        var handle = cublas ??= CublasHandle.Create(cuda.Stream, CublasHandle.RecommendedWorkspaceBytes(cuda.Arch));
        int lda = Math.Max(1, transA ? m : k), ldb = Math.Max(1, transB ? k : n);
        ulong pa = a.Ptr + (ulong)(aOffset * sizeof(float)), pb = b.Ptr + (ulong)(bOffset * sizeof(float)), pc = c.Ptr + (ulong)(cOffset * sizeof(float));
        void Run()
        {
            if (count == 1) handle.SgemmRowMajor(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, n);
            else handle.SgemmStridedBatchedRowMajor(transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, n, strideC, count);
        }
        if (Driver is ProfilingDriver profiling)
            profiling.Measure(count == 1 ? "cublas:sgemm" : "cublas:sgemm_strided_batched", LaunchCost.Gemm(m, n, k, readsC: beta != 0f).Times(count), Run);
        else Run();
    }

    public void Transpose(Tensor x, int batch, int rows, int cols, Tensor y) => gemm.Transpose(Buf(x), Buf(y), batch, rows, cols);
}
