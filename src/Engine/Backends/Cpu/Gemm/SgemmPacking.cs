using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace NativeContrastive.Engine.Backends.Cpu.Gemm;

/// <summary>
/// Packing of GEMM operands into micro-kernel panels. Invariants:
/// packed A for rows [ic, ic+mc) is ⌈mc/MR⌉ panels, panel i holding op(A)[ic+i·MR+r, pc+p]
/// at [i·MR·kc + p·MR + r]; packed B for columns [jc, jc+nc) is ⌈nc/NR⌉ panels, panel j
/// holding op(B)[pc+p, jc+j·NR+q] at [j·NR·kc + p·NR + q]. Rows/columns past the edge are
/// zero so the micro-kernel always runs full tiles.
/// </summary>
internal static partial class Sgemm
{
    /// <summary>Packs op(A)[ic:ic+mc, pc:pc+kc]; op(A)[i,p] = transA ? A[p·lda+i] : A[i·lda+p].</summary>
    internal static void PackA(bool transA, float[] a, long aOffset, int lda, int ic, int mc, int pc, int kc, float[] packA)
    {
        int dst = 0;
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int rows = Math.Min(MR, mc - i0);
            if (transA)
            {
                // A is [k, m]: the MR values of one k step are contiguous.
                // A span copy rather than an element loop: conv backward-data packs all of Wᵀ
                // this way for every chunk, and the scalar loop showed up in its profile.
                for (int p = 0; p < kc; p++)
                {
                    long src = aOffset + (long)(pc + p) * lda + ic + i0;
                    a.AsSpan((int)src, rows).CopyTo(packA.AsSpan(dst, rows));
                    if (rows < MR) packA.AsSpan(dst + rows, MR - rows).Clear();
                    dst += MR;
                }
            }
            else
            {
                // A is [m, k]: MR row streams, interleaved.
                Interleave(a, aOffset + (long)(ic + i0) * lda + pc, lda, rows, MR, kc, packA, dst);
                dst += MR * kc;
            }
        }
    }

    /// <summary>
    /// Packs all of op(A) [m, k] once, for GEMMs that share one A across many calls (a
    /// convolution's weights across its chunks of images). Layout: the (pc, ic) block that
    /// <see cref="Run"/> would pack is stored at <see cref="PackedAOffset"/>(m, pc, ic, kc).
    /// </summary>
    internal static float[] PackAllA(bool transA, float[] a, long aOffset, int lda, int m, int k)
    {
        float[] packed = ArrayPool<float>.Shared.Rent(Math.Max(1, RoundUp(m, MR) * k));
        float[] block = ArrayPool<float>.Shared.Rent(Math.Max(1, MC * KC));
        try
        {
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    PackA(transA, a, aOffset, lda, ic, mc, pc, kc, block);
                    block.AsSpan(0, RoundUp(mc, MR) * kc).CopyTo(packed.AsSpan(PackedAOffset(m, pc, ic, kc)));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(block);
        }
        return packed;
    }

    /// <summary>
    /// Start of block (pc, ic) in <see cref="PackAllA"/>'s array: the kc-deep blocks before pc
    /// hold pc·⌈m⌉ values (⌈m⌉ = m rounded up to MR; MC is a multiple of MR) and, within
    /// block pc, the ic rows before hold ic·kc.
    /// </summary>
    internal static int PackedAOffset(int m, int pc, int ic, int kc) => pc * RoundUp(m, MR) + ic * kc;

    /// <summary>Packs op(B)[pc:pc+kc, jc:jc+nc]; op(B)[p,j] = transB ? B[j·ldb+p] : B[p·ldb+j].</summary>
    internal static void PackB(bool transB, float[] b, long bOffset, int ldb, int pc, int kc, int jc, int nc, float[] packB)
        => PackBPanels(transB, b, bOffset, ldb, pc, kc, jc, nc, packB, 0, (nc + NR - 1) / NR);

    /// <summary>Packs op(B) with panels split across the cores (each panel is written by one task).</summary>
    internal static void PackBParallel(bool transB, float[] b, long bOffset, int ldb, int pc, int kc, int jc, int nc, float[] packB)
    {
        int panels = (nc + NR - 1) / NR;
        int tasks = Math.Min(panels, Environment.ProcessorCount);
        int per = (panels + tasks - 1) / tasks;
        Parallel.For(0, tasks, t => PackBPanels(transB, b, bOffset, ldb, pc, kc, jc, nc, packB, t * per, Math.Min(panels, (t + 1) * per)));
    }

    /// <summary>Packs NR-column panels [panel0, panel1) of op(B)[pc:pc+kc, jc:jc+nc].</summary>
    private static void PackBPanels(bool transB, float[] b, long bOffset, int ldb, int pc, int kc, int jc, int nc, float[] packB, int panel0, int panel1)
    {
        int dst = panel0 * NR * kc;
        for (int j0 = panel0 * NR; j0 < Math.Min(nc, panel1 * NR); j0 += NR)
        {
            int cols = Math.Min(NR, nc - j0);
            if (!transB)
            {
                // B is [k, n]: NR contiguous values per k step.
                for (int p = 0; p < kc; p++)
                {
                    long src = bOffset + (long)(pc + p) * ldb + jc + j0;
                    b.AsSpan((int)src, cols).CopyTo(packB.AsSpan(dst, cols));
                    if (cols < NR) packB.AsSpan(dst + cols, NR - cols).Clear();
                    dst += NR;
                }
            }
            else
            {
                // B is [n, k]: NR column streams, interleaved.
                Interleave(b, bOffset + (long)(jc + j0) * ldb + pc, ldb, cols, NR, kc, packB, dst);
                dst += NR * kc;
            }
        }
    }

    /// <summary>
    /// dst[dstBase + p·width + q] ← q &lt; count ? src[srcBase + q·ld + p] : 0 for p &lt; kc, q &lt; width:
    /// <paramref name="count"/> contiguous streams of length kc interleaved into rows of
    /// <paramref name="width"/> (a transpose). Full 8×8 blocks go through an AVX register
    /// transpose; edges are scalar.
    /// </summary>
    private static unsafe void Interleave(float[] src, long srcBase, int ld, int count, int width, int kc, float[] dst, int dstBase)
    {
        int q8 = Avx.IsSupported ? count / 8 * 8 : 0, p8 = kc / 8 * 8;
        fixed (float* ps = src, pd = dst)
        {
            for (int q0 = 0; q0 < q8; q0 += 8)
            {
                float* s0 = ps + srcBase + (long)q0 * ld;
                float* d0 = pd + dstBase + q0;
                for (int p0 = 0; p0 < p8; p0 += 8) Transpose8x8(s0 + p0, ld, d0 + (long)p0 * width, width);
                for (int q = 0; q < 8; q++)
                    for (int p = p8; p < kc; p++) d0[(long)p * width + q] = s0[(long)q * ld + p];
            }
            for (int q = q8; q < width; q++)
            {
                float* d = pd + dstBase + q;
                if (q < count)
                {
                    float* s = ps + srcBase + (long)q * ld;
                    for (int p = 0; p < kc; p++) d[(long)p * width] = s[p];
                }
                else for (int p = 0; p < kc; p++) d[(long)p * width] = 0f;
            }
        }
    }

    /// <summary>dst[c·dstStride + r] ← src[r·srcStride + c] for an 8×8 block (unpack, shuffle, 128-bit permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }
}
