using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// cuBLAS v2 (cublas_api.h). Column-major, as BLAS: a row-major C = A·B is computed as the
/// column-major Cᵀ = Bᵀ·Aᵀ (see <see cref="CublasHandle.SgemmRowMajor"/>).
/// </summary>
internal static unsafe partial class CublasApi
{
    private const string Lib = NativeLibraries.Cublas;

    public const int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    public const int CUDA_R_32F = 0;
    public const int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    public const int CUBLAS_GEMM_DEFAULT = -1;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(out nint handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(nint handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(nint handle, nint stream);
    [LibraryImport(Lib, EntryPoint = "cublasSetWorkspace_v2")] public static partial int cublasSetWorkspace(nint handle, ulong workspace, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cublasSgemm_v2")]
    public static partial int cublasSgemm(nint handle, int transa, int transb, int m, int n, int k, float* alpha, ulong a, int lda,
        ulong b, int ldb, float* beta, ulong c, int ldc);

    [LibraryImport(Lib)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transa, int transb, int m, int n, int k, float* alpha,
        ulong a, int lda, long strideA, ulong b, int ldb, long strideB, float* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    public static partial int cublasGemmEx(nint handle, int transa, int transb, int m, int n, int k, void* alpha,
        ulong a, int aType, int lda, ulong b, int bType, int ldb, void* beta, ulong c, int cType, int ldc, int computeType, int algo);
}
