using NativeContrastive.Kernels.Compile;

namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// A cuBLAS handle bound to a stream, with row-major wrappers over the column-major API. Given a
/// workspace size, the handle owns a workspace of its own (cublasSetWorkspace) instead of cuBLAS's
/// pool: a GEMM inside a captured CUDA graph then allocates nothing, so the captured steps keep one
/// topology and update the cached graph in place, and repeated captures do not grow memory (the
/// reason PyTorch gives its handles an explicit workspace).
/// </summary>
public sealed unsafe class CublasHandle : OwnedHandle
{
    private ulong workspace;

    private CublasHandle(nint h) : base(h) { }

    /// <summary>The workspace size cuBLAS's documentation recommends: 32 MiB on Hopper (sm_90) and later, 4 MiB before.</summary>
    public static long RecommendedWorkspaceBytes(GpuArch arch) => arch.Major >= 9 ? 32L << 20 : 4L << 20;

    public static CublasHandle Create(CudaStream? stream = null, long workspaceBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workspaceBytes);
        CublasException.Check(CublasApi.cublasCreate(out var h));
        var handle = new CublasHandle(h);
        try
        {
            // cublasSetStream resets the workspace to cuBLAS's pool, so the stream comes first.
            if (stream != null) CublasException.Check(CublasApi.cublasSetStream(h, stream.Handle));
            if (workspaceBytes > 0) handle.UseOwnWorkspace(workspaceBytes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return handle;
    }

    private void UseOwnWorkspace(long bytes)
    {
        CudaException.Check(CudaApi.cuMemAlloc(out workspace, (nuint)bytes), "cuMemAlloc (cuBLAS workspace)");
        int status;
        try
        {
            status = CublasApi.cublasSetWorkspace(Handle, workspace, (nuint)bytes);
        }
        catch (EntryPointNotFoundException)
        {
            // A cuBLAS before 11.4 has no cublasSetWorkspace: it keeps its pool.
            CudaException.Check(CudaApi.cuMemFree(workspace), "cuMemFree (cuBLAS workspace)");
            workspace = 0;
            return;
        }
        CublasException.Check(status);
        WorkspaceBytes = bytes;
    }

    /// <summary>Bytes of the handle's own workspace (0: cuBLAS's pool).</summary>
    public long WorkspaceBytes { get; private set; }

    protected override int Release()
    {
        int status = CublasApi.cublasDestroy(Handle);
        // After the handle: cuBLAS work queued on the stream may still use the workspace until then.
        if (workspace != 0)
        {
            int freed = CudaApi.cuMemFree(workspace);
            workspace = 0;
            if (status == 0) status = freed;
        }
        return status;
    }

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
