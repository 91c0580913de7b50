using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeContrastive.Engine.Backends.Cpu.Gemm;

/// <summary>
/// The 8×32 SGEMM micro-kernel: 16 Vector512 accumulators (8 rows × 2 vectors) live in
/// registers for the whole k loop; each k step loads two vectors of packed B, broadcasts
/// eight packed A values and issues 16 FMAs. AVX-512 has 32 zmm registers, so the
/// accumulators, the two B vectors and a broadcast fit without spilling. Without AVX-512
/// (<see cref="UseVector512"/> false) the same packed panels go through
/// <see cref="TileVector256"/>, which fits AVX2's 16 ymm registers.
/// </summary>
internal static class SgemmMicroKernel
{
    public const int MR = 8;
    public const int NR = 32;

    /// <summary>True where Vector512 is hardware accelerated; tests switch it off to cover the AVX2 path.</summary>
    internal static bool UseVector512 { get; set; } = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// C[0:mr, 0:nr] ← α·Σ_p a[p·MR + r]·b[p·NR + q] + β·C (β = 0: C not read). Partial tiles
    /// (mr &lt; MR or nr &lt; NR) go through <paramref name="scratch"/> (MR·NR floats) so nothing
    /// outside C is touched. No stackalloc here: a localloc in this method makes the JIT keep
    /// the accumulators in stack homes, storing all 16 of them on every k step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Tile(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* scratch)
    {
        if (!UseVector512)
        {
            TileVector256(kc, a, b, c, ldc, mr, nr, alpha, beta, scratch);
            return;
        }
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default,
                         c20 = default, c21 = default, c30 = default, c31 = default,
                         c40 = default, c41 = default, c50 = default, c51 = default,
                         c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> av;
            av = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += MR;
            b += NR;
        }

        bool full = mr == MR && nr == NR;
        float* tile = scratch;
        float* dst = full ? c : tile;
        int ld = full ? ldc : NR;
        var va = Vector512.Create(alpha);
        bool readC = full && beta != 0f;
        var vb = Vector512.Create(beta);
        Store(dst + 0 * ld, c00, c01, va, vb, readC);
        Store(dst + 1 * ld, c10, c11, va, vb, readC);
        Store(dst + 2 * ld, c20, c21, va, vb, readC);
        Store(dst + 3 * ld, c30, c31, va, vb, readC);
        Store(dst + 4 * ld, c40, c41, va, vb, readC);
        Store(dst + 5 * ld, c50, c51, va, vb, readC);
        Store(dst + 6 * ld, c60, c61, va, vb, readC);
        Store(dst + 7 * ld, c70, c71, va, vb, readC);
        if (!full) MergeEdge(c, ldc, mr, nr, beta, scratch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* row, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, Vector512<float> beta, bool readC)
    {
        if (readC)
        {
            Vector512.FusedMultiplyAdd(alpha, lo, beta * Vector512.Load(row)).Store(row);
            Vector512.FusedMultiplyAdd(alpha, hi, beta * Vector512.Load(row + 16)).Store(row + 16);
        }
        else
        {
            (alpha * lo).Store(row);
            (alpha * hi).Store(row + 16);
        }
    }

    /// <summary>
    /// Same contract as <see cref="Tile"/> with Vector256: the 8×32 tile is computed as four
    /// 4×16 blocks (4 rows × 2 vectors = 8 accumulators per pass over the panels, so
    /// accumulators, two B vectors and a broadcast fit in 16 ymm registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileVector256(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* scratch)
    {
        bool full = mr == MR && nr == NR;
        float* dst = full ? c : scratch;
        int ld = full ? ldc : NR;
        bool readC = full && beta != 0f;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        for (int r0 = 0; r0 < MR; r0 += 4)
            for (int q0 = 0; q0 < NR; q0 += 16)
            {
                Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default,
                                 c20 = default, c21 = default, c30 = default, c31 = default;
                float* ap = a + r0, bp = b + q0;
                for (int p = 0; p < kc; p++)
                {
                    var b0 = Vector256.Load(bp);
                    var b1 = Vector256.Load(bp + 8);
                    Vector256<float> av;
                    av = Vector256.Create(ap[0]); c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
                    av = Vector256.Create(ap[1]); c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
                    av = Vector256.Create(ap[2]); c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
                    av = Vector256.Create(ap[3]); c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
                    ap += MR;
                    bp += NR;
                }
                float* row = dst + (long)r0 * ld + q0;
                Store256(row, c00, c01, va, vb, readC);
                Store256(row + ld, c10, c11, va, vb, readC);
                Store256(row + 2 * ld, c20, c21, va, vb, readC);
                Store256(row + 3 * ld, c30, c31, va, vb, readC);
            }
        if (!full) MergeEdge(c, ldc, mr, nr, beta, scratch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(float* row, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, Vector256<float> beta, bool readC)
    {
        if (readC)
        {
            Vector256.FusedMultiplyAdd(alpha, lo, beta * Vector256.Load(row)).Store(row);
            Vector256.FusedMultiplyAdd(alpha, hi, beta * Vector256.Load(row + 8)).Store(row + 8);
        }
        else
        {
            (alpha * lo).Store(row);
            (alpha * hi).Store(row + 8);
        }
    }

    /// <summary>Edge tile: scratch holds α·AB for the whole MR×NR tile; C[0:mr, 0:nr] ← scratch + β·C.</summary>
    private static unsafe void MergeEdge(float* c, int ldc, int mr, int nr, float beta, float* scratch)
    {
        for (int r = 0; r < mr; r++)
        {
            float* crow = c + (long)r * ldc;
            float* trow = scratch + r * NR;
            if (beta == 0f) for (int q = 0; q < nr; q++) crow[q] = trow[q];
            else for (int q = 0; q < nr; q++) crow[q] = trow[q] + beta * crow[q];
        }
    }
}
