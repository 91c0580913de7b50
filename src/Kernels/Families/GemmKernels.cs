using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

public enum GemmVersion { Naive = 1, Tiled = 2 }

/// <summary>
/// Launchers of kernels-cu/gemm.cu: row-major C = alpha·op(A)·op(B) + beta·C. Naive: 16×16
/// threads per 16×16 C tile. Tiled: 16×16 threads per 64×64 C tile (4×4 per thread).
/// </summary>
public sealed class GemmKernels(IKernelDriver driver) : KernelFamily(driver, "gemm")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["gemm_forward_naive_kernel"] = new(256),
        ["gemm_forward_tiled_kernel"] = new(256),
    };

    /// <summary>
    /// op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are row strides of the stored
    /// matrices (0 = packed: the stored row length).
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c,
        GemmVersion version = GemmVersion.Tiled, int lda = 0, int ldb = 0, int ldc = 0)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "GEMM sizes must be ≥ 0.");
        lda = lda == 0 ? (transA ? m : k) : lda;
        ldb = ldb == 0 ? (transB ? k : n) : ldb;
        ldc = ldc == 0 ? n : ldc;
        if (m == 0 || n == 0) return;
        Need(a, transA ? (long)(k - 1) * lda + m : (long)(m - 1) * lda + k, nameof(a));
        Need(b, transB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n, nameof(b));
        Need(c, (long)(m - 1) * ldc + n, nameof(c));
        var args = new KernelArgs().I32(transA ? 1 : 0).I32(transB ? 1 : 0).I32(m).I32(n).I32(k).F32(alpha)
            .Ptr(a).I32(Math.Max(lda, 1)).Ptr(b).I32(Math.Max(ldb, 1)).F32(beta).Ptr(c).I32(ldc);
        var cost = LaunchCost.Gemm(m, n, k, readsC: beta != 0f);
        if (version == GemmVersion.Naive)
            Launch("gemm_forward_naive_kernel", new Dim3((uint)((n + 15) / 16), (uint)((m + 15) / 16)), new Dim3(16, 16), args, cost);
        else
            Launch("gemm_forward_tiled_kernel", new Dim3((uint)((n + 63) / 64), (uint)((m + 63) / 64)), new Dim3(16, 16), args, cost);
    }
}
