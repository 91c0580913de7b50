namespace NativeContrastive.Kernels.Interop;

/// <summary>A cuBLAS handle bound to a stream, with row-major wrappers over the column-major API.</summary>
public sealed unsafe class CublasHandle : OwnedHandle
{
    private CublasHandle(nint h) : base(h) { }

    public static CublasHandle Create(CudaStream? stream = null)
    {
        CublasException.Check(CublasApi.cublasCreate(out var h));
        var handle = new CublasHandle(h);
        if (stream != null) CublasException.Check(CublasApi.cublasSetStream(h, stream.Handle));
        return handle;
    }

    protected override int Release() => CublasApi.cublasDestroy(Handle);

    /// <summary>
    /// Row-major C[M×N] = alpha·op(A)·op(B) + beta·C (same contract as gemm.cu). Row-major X is
    /// column-major Xᵀ, so this is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: B first, then A.
    /// </summary>
    public void SgemmRowMajor(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb,
        float beta, ulong c, int ldc)
    {
        ThrowIfDisposed();
        CublasException.Check(CublasApi.cublasSgemm(Handle, transB ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N,
            transA ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
    }

    /// <summary>Row-major batched GEMM, batch i at offsets i·stride (elements).</summary>
    public void SgemmStridedBatchedRowMajor(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, float beta, ulong c, int ldc, long strideC, int batch)
    {
        ThrowIfDisposed();
        CublasException.Check(CublasApi.cublasSgemmStridedBatched(Handle, transB ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N,
            transA ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N, n, m, k, &alpha, b, ldb, strideB, a, lda, strideA, &beta, c, ldc,
            strideC, batch));
    }

    /// <summary>Row-major float GEMM on TF32 tensor cores (10-bit mantissa inputs, float accumulate).</summary>
    public void GemmTf32RowMajor(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb,
        float beta, ulong c, int ldc)
    {
        ThrowIfDisposed();
        CublasException.Check(CublasApi.cublasGemmEx(Handle, transB ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N,
            transA ? CublasApi.CUBLAS_OP_T : CublasApi.CUBLAS_OP_N, n, m, k, &alpha, b, CublasApi.CUDA_R_32F, ldb, a,
            CublasApi.CUDA_R_32F, lda, &beta, c, CublasApi.CUDA_R_32F, ldc, CublasApi.CUBLAS_COMPUTE_32F_FAST_TF32,
            CublasApi.CUBLAS_GEMM_DEFAULT));
    }
}
