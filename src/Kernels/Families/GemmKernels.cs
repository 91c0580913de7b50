using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

public enum GemmVersion { Naive = 1, Tiled = 2 }

/// <summary>
/// Launchers of kernels-cu/gemm.cu: row-major C = alpha·op(A)·op(B) + beta·C. Naive: 16×16
/// threads per 16×16 C tile. Tiled: 16×16 threads per 64×64 C tile (4×4 per thread). A batch
/// of products is the grid's z dimension (at most 65535 per launch; larger batches are split).
/// Transpose: 32×8 threads per 32×32 tile, the batch in z.
/// </summary>
public sealed class GemmKernels(IKernelDriver driver) : KernelFamily(driver, "gemm")
{
    /// <summary>CUDA's limit on gridDim.z.</summary>
    public const int MaxGridZ = 65535;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["gemm_forward_naive_kernel"] = new(256),
        ["gemm_forward_tiled_kernel"] = new(256),
        ["transpose_forward_kernel"] = new(32 * 8),
    };

    /// <summary>
    /// op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are row strides of the stored
    /// matrices (0 = packed: the stored row length).
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c,
        GemmVersion version = GemmVersion.Tiled, int lda = 0, int ldb = 0, int ldc = 0) =>
        GemmStridedBatched(transA, transB, m, n, k, alpha, a, 0, 0, b, 0, 0, beta, c, 0, 0, 1, version, lda, ldb, ldc);

    /// <summary>
    /// For batch z &lt; <paramref name="count"/>: C_z = alpha·op(A_z)·op(B_z) + beta·C_z where X_z starts at
    /// element xOffset + z·strideX of its buffer (a stride of 0 broadcasts that operand). Offsets,
    /// strides and leading dimensions are in elements; every batch's extent is checked against
    /// its buffer. beta = 0 never reads C.
    /// </summary>
    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        DeviceBuffer a, long aOffset, long strideA, DeviceBuffer b, long bOffset, long strideB,
        float beta, DeviceBuffer c, long cOffset, long strideC, int count,
        GemmVersion version = GemmVersion.Tiled, int lda = 0, int ldb = 0, int ldc = 0)
    {
        if (m < 0 || n < 0 || k < 0 || count < 0) throw new ArgumentOutOfRangeException(nameof(m), "GEMM sizes and batch count must be ≥ 0.");
        if (aOffset < 0 || bOffset < 0 || cOffset < 0 || strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentOutOfRangeException(nameof(aOffset), "GEMM offsets and strides must be ≥ 0.");
        lda = lda == 0 ? (transA ? m : k) : lda;
        ldb = ldb == 0 ? (transB ? k : n) : ldb;
        ldc = ldc == 0 ? n : ldc;
        if (m == 0 || n == 0 || count == 0) return;
        long last = count - 1;
        if (k > 0)
        {
            Need(a, aOffset + last * strideA + (transA ? (long)(k - 1) * lda + m : (long)(m - 1) * lda + k), nameof(a));
            Need(b, bOffset + last * strideB + (transB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n), nameof(b));
        }
        Need(c, cOffset + last * strideC + (long)(m - 1) * ldc + n, nameof(c));
        string kernel = version == GemmVersion.Naive ? "gemm_forward_naive_kernel" : "gemm_forward_tiled_kernel";
        int tile = version == GemmVersion.Naive ? 16 : 64;
        for (int first = 0; first < count; first += MaxGridZ)
        {
            int batch = Math.Min(MaxGridZ, count - first);
            var args = new KernelArgs().I32(transA ? 1 : 0).I32(transB ? 1 : 0).I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(Address(a, aOffset + first * strideA)).I32(Math.Max(lda, 1))
                .Ptr(Address(b, bOffset + first * strideB)).I32(Math.Max(ldb, 1)).F32(beta)
                .Ptr(Address(c, cOffset + first * strideC)).I32(ldc).I64(strideA).I64(strideB).I64(strideC);
            Launch(kernel, new Dim3((uint)((n + tile - 1) / tile), (uint)((m + tile - 1) / tile), (uint)batch), new Dim3(16, 16), args,
                LaunchCost.Gemm(m, n, k, readsC: beta != 0f).Times(batch));
        }
    }

    /// <summary>y[z, c, r] = x[z, r, c] for <paramref name="batch"/> row-major [rows, cols] matrices.</summary>
    public void Transpose(DeviceBuffer x, DeviceBuffer y, int batch, int rows, int cols)
    {
        if (batch < 0 || rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(batch), "Transpose sizes must be ≥ 0.");
        long n = (long)batch * rows * cols;
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        if (n == 0) return;
        for (int first = 0; first < batch; first += MaxGridZ)
        {
            int count = Math.Min(MaxGridZ, batch - first);
            long skip = (long)first * rows * cols;
            Launch("transpose_forward_kernel", new Dim3((uint)((cols + 31) / 32), (uint)((rows + 31) / 32), (uint)count), new Dim3(32, 8),
                new KernelArgs().Ptr(Address(x, skip)).Ptr(Address(y, skip)).I32(rows).I32(cols), LaunchCost.Elements(2L * count * rows * cols));
        }
    }

    /// <summary>Device address of float element <paramref name="offset"/> of a buffer.</summary>
    private static ulong Address(DeviceBuffer buffer, long offset) => buffer.Ptr + (ulong)(offset * sizeof(float));
}
