using System.Buffers;

namespace NativeContrastive.Engine.Backends.Cpu.Gemm;

/// <summary>
/// Blocked, packed single-precision GEMM (the Goto/BLIS scheme) on raw arrays:
/// C[m,n] ← α·op(A)·op(B) + β·C, row-major with leading dimensions lda/ldb/ldc.
///
/// Loop nest (outer to inner): jc over NC columns of C → pc over KC of the shared
/// dimension (B block packed once, shared by all threads) → ic over MC rows of C (A block
/// packed per task) → micro-tiles MR×NR computed by <see cref="SgemmMicroKernel"/>.
/// Packing turns transA/transB into the same contiguous panel layout, so the micro-kernel
/// never sees a transpose. β is applied only on the first pc block; later blocks add (β = 1).
/// β = 0 never reads C (NaN in C is ignored).
/// </summary>
internal static partial class Sgemm
{
    /// <summary>Rows of a micro-tile (broadcast values of A per k step).</summary>
    internal const int MR = SgemmMicroKernel.MR;
    /// <summary>Columns of a micro-tile (two Vector512 of B per k step).</summary>
    internal const int NR = SgemmMicroKernel.NR;
    /// <summary>Shared-dimension block: an MR×KC A panel (8 KiB) and a KC×NR B panel (32 KiB) fit in L1.</summary>
    internal const int KC = 256;
    /// <summary>Row block: MC×KC of packed A (128 KiB) stays in L2.</summary>
    internal const int MC = 128;
    /// <summary>Column block: KC×NC of packed B (2 MiB) stays in L2/L3 and is shared by the threads.</summary>
    internal const int NC = 2048;

    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread.</summary>
    internal const long ParallelMinMacs = 1L << 18;

    /// <summary>
    /// Runs the GEMM. <paramref name="parallel"/> allows Parallel.For over (row block × column slice)
    /// tasks; callers that already parallelise over images pass false. <paramref name="packedA"/>,
    /// when given, is op(A) already packed by <see cref="PackAllA"/> (a, aOffset, lda are then unused).
    /// <paramref name="packedB"/>, when given, is op(B) already in packed panels, block pc at
    /// <see cref="PackedBOffset"/> (b, bOffset, ldb are then unused; n ≤ NC, a single column block).
    /// </summary>
    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
                           float[] a, long aOffset, int lda, float[] b, long bOffset, int ldb,
                           float beta, float[] c, long cOffset, int ldc, bool parallel = true, float[]? packedA = null, float[]? packedB = null)
    {
        if (packedB is not null && n > NC) throw new ArgumentException($"Sgemm: a pre-packed B holds one column block (n ≤ {NC}), got n = {n}.");
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, cOffset, ldc);
            return;
        }
        bool threads = parallel && Environment.ProcessorCount > 1 && (long)m * n * k >= ParallelMinMacs;
        int ncMax = Math.Min(NC, RoundUp(n, NR));
        int kcMax = Math.Min(KC, k);
        float[] packB = packedB ?? ArrayPool<float>.Shared.Rent(kcMax * ncMax);
        try
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    float betaBlock = pc == 0 ? beta : 1f;
                    if (packedB is null)
                    {
                        if (threads) PackBParallel(transB, b, bOffset, ldb, pc, kc, jc, nc, packB);
                        else PackB(transB, b, bOffset, ldb, pc, kc, jc, nc, packB);
                    }
                    int bBase = packedB is null ? 0 : PackedBOffset(n, pc, 0, kc);
                    var block = new Block(transA, a, aOffset, lda, pc, kc, jc, nc, packB, bBase, alpha, betaBlock, c, cOffset, ldc, packedA, m);
                    int rowBlocks = (m + MC - 1) / MC;
                    if (!threads)
                    {
                        for (int ib = 0; ib < rowBlocks; ib++) block.Run(ib * MC, Math.Min(MC, m - ib * MC), 0, nc);
                        continue;
                    }
                    // Enough tasks to keep every core busy even when m is small: split the column
                    // block into slices of whole NR panels. Each slice re-packs its A block (cheap: MC·KC).
                    int panels = (nc + NR - 1) / NR;
                    int slices = Math.Clamp((2 * Environment.ProcessorCount + rowBlocks - 1) / rowBlocks, 1, panels);
                    int panelsPerSlice = (panels + slices - 1) / slices;
                    slices = (panels + panelsPerSlice - 1) / panelsPerSlice;
                    Parallel.For(0, rowBlocks * slices, t =>
                    {
                        int ib = t / slices, s = t % slices;
                        int j0 = s * panelsPerSlice * NR;
                        int j1 = Math.Min(nc, j0 + panelsPerSlice * NR);
                        block.Run(ib * MC, Math.Min(MC, m - ib * MC), j0, j1 - j0);
                    });
                }
            }
        }
        finally
        {
            if (packedB is null) ArrayPool<float>.Shared.Return(packB);
        }
    }

    /// <summary>
    /// Start of NR-panel j (a multiple of NR) of shared-dimension block pc in a pre-packed B of
    /// n columns: the blocks before pc hold pc·⌈n⌉ values (⌈n⌉ = n rounded up to NR), and within
    /// block pc each earlier panel holds NR·kc.
    /// </summary>
    internal static int PackedBOffset(int n, int pc, int j, int kc) => pc * RoundUp(n, NR) + j * kc;

    /// <summary>Length of a pre-packed B (op(B) is [k, n]).</summary>
    internal static long PackedBLength(int n, int k) => (long)RoundUp(n, NR) * k;

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>C ← β·C (β = 0 writes zeros without reading C).</summary>
    private static void ScaleC(int m, int n, float beta, float[] c, long cOffset, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.AsSpan(checked((int)(cOffset + (long)i * ldc)), n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
