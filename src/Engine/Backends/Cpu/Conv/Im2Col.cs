using NativeContrastive.Engine.Backends.Cpu.Gemm;

namespace NativeContrastive.Engine.Backends.Cpu.Conv;

/// <summary>
/// Lowering of a convolution to a GEMM. For a chunk of images [n0, n0+count) the column
/// matrix col[C·R·S, count·P·Q] holds col[(c·R + r)·S + s, i·P·Q + p·Q + q] =
/// x[n0+i, c, p·stride − pad + r, q·stride − pad + s] (0 outside the image), so that
/// y[K, count·P·Q] = W[K, C·R·S] · col. <see cref="Col2Im"/> is its adjoint: it adds each
/// column entry back to the input pixel it came from (overlapping windows accumulate).
/// </summary>
internal static class Im2Col
{
    public static void Lower(float[] x, Conv2dGeometry g, int n0, int count, float[] col)
    {
        int cols = count * g.P * g.Q;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                    LowerRow(x, g, n0, count, c, r, s, col.AsSpan((int)(((long)(c * g.R + r) * g.S + s) * cols), cols));
    }

    /// <summary>
    /// The same col, written straight into the packed-B panel layout of <see cref="Sgemm"/>
    /// (op(B)[k, j] at <see cref="Sgemm.PackedBOffset"/>(cols, k₀, j₀, kc) + (k − k₀)·NR + j − j₀
    /// for k₀ = k rounded down to KC, j₀ = j rounded down to NR; columns past cols are zero).
    /// The forward GEMM then skips packing B: col is written once and read once, instead of
    /// written, read and written again by the packing and read by the micro-kernel.
    /// Each row is first lowered into a small L1-resident buffer, then cut into NR-wide pieces.
    /// </summary>
    public static void LowerPacked(float[] x, Conv2dGeometry g, int n0, int count, float[] packed)
    {
        int cols = count * g.P * g.Q, crs = g.C * g.R * g.S, NR = Sgemm.NR;
        int width = (cols + NR - 1) / NR * NR;
        float[] rowBuffer = System.Buffers.ArrayPool<float>.Shared.Rent(width);
        try
        {
            var row = rowBuffer.AsSpan(0, width);
            row[cols..].Clear();
            for (int k = 0; k < crs; k++)
            {
                int c = k / (g.R * g.S), r = k / g.S % g.R, s = k % g.S;
                LowerRow(x, g, n0, count, c, r, s, row[..cols]);
                int k0 = k / Sgemm.KC * Sgemm.KC, kc = Math.Min(Sgemm.KC, crs - k0);
                for (int j0 = 0; j0 < width; j0 += NR)
                    row.Slice(j0, NR).CopyTo(packed.AsSpan(Sgemm.PackedBOffset(width, k0, j0, kc) + (k - k0) * NR, NR));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rowBuffer);
        }
    }

    /// <summary>Row (c, r, s) of col for the chunk: dst[i·P·Q + p·Q + q] = x[n0+i, c, p·stride − pad + r, q·stride − pad + s] or 0.</summary>
    private static void LowerRow(float[] x, Conv2dGeometry g, int n0, int count, int c, int r, int s, Span<float> row)
    {
        int P = g.P, Q = g.Q, PQ = P * Q, HW = g.H * g.W;
        if (RowsAlign(g))
        {
            AlignedRange(g, r, s, out int p0, out int p1, out int q0, out int q1, out int d, out int j0, out int j1);
            for (int i = 0; i < count; i++)
            {
                var dst = row.Slice(i * PQ, PQ);
                long plane = ((long)(n0 + i) * g.C + c) * HW;
                dst[..j0].Clear();
                dst[j1..].Clear();
                if (j1 == j0) continue;
                x.AsSpan((int)(plane + j0 + d), j1 - j0).CopyTo(dst[j0..j1]);
                // The wrapped entries between consecutive valid rows are padding.
                for (int p = p0; p < p1 - 1; p++) dst[(p * Q + q1)..((p + 1) * Q + q0)].Clear();
            }
            return;
        }
        ValidRange(s - g.PadW, g.StrideW, Q, g.W, out int qa, out int qb);
        for (int i = 0; i < count; i++)
        {
            long plane = ((long)(n0 + i) * g.C + c) * HW;
            for (int p = 0; p < P; p++)
            {
                int h = p * g.StrideH - g.PadH + r;
                var dst = row.Slice(i * PQ + p * Q, Q);
                if ((uint)h >= (uint)g.H) { dst.Clear(); continue; }
                long src = plane + (long)h * g.W;
                dst[..qa].Clear();
                dst[qb..].Clear();
                if (qb == qa) continue;
                int w0 = qa * g.StrideW - g.PadW + s;
                if (g.StrideW == 1) x.AsSpan((int)(src + w0), qb - qa).CopyTo(dst[qa..qb]);
                else for (int q = qa, w = w0; q < qb; q++, w += g.StrideW) dst[q] = x[src + w];
            }
        }
    }

    /// <summary>dx[n0 .. n0+count) += scatter of dcol (the caller zeroes dx first). dcol is scratch: it may be modified.</summary>
    public static void Col2Im(float[] dcol, Conv2dGeometry g, int n0, int count, float[] dx)
    {
        if (RowsAlign(g))
        {
            Col2ImAligned(dcol, g, n0, count, dx);
            return;
        }
        int P = g.P, Q = g.Q, PQ = P * Q, cols = count * PQ, HW = g.H * g.W;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    long row = ((long)(c * g.R + r) * g.S + s) * cols;
                    ValidRange(s - g.PadW, g.StrideW, Q, g.W, out int q0, out int q1);
                    for (int i = 0; i < count; i++)
                    {
                        long plane = ((long)(n0 + i) * g.C + c) * HW;
                        long src0 = row + (long)i * PQ;
                        for (int p = 0; p < P; p++)
                        {
                            int h = p * g.StrideH - g.PadH + r;
                            if ((uint)h >= (uint)g.H || q1 == q0) continue;
                            long dst = plane + (long)h * g.W;
                            long src = src0 + (long)p * Q;
                            int w = q0 * g.StrideW - g.PadW + s;
                            if (g.StrideW == 1)
                                System.Numerics.Tensors.TensorPrimitives.Add(dx.AsSpan((int)(dst + w), q1 - q0), dcol.AsSpan((int)(src + q0), q1 - q0), dx.AsSpan((int)(dst + w), q1 - q0));
                            else
                                for (int q = q0; q < q1; q++, w += g.StrideW) dx[dst + w] += dcol[src + q];
                        }
                    }
                }
    }

    /// <summary>
    /// Stride 1 with Q = W (the "same" 3×3/pad-1 convolutions that make up most of a ResNet):
    /// output row p and input row h then have the same pitch, so for one (c, r, s) the whole
    /// P×Q block of col is the input plane shifted by d = (r − padH)·W + (s − padW). One long
    /// copy per (row of col, image) replaces P short row copies — the row-by-row version spent
    /// more time on span bookkeeping than on moving 4..32 floats per row.
    /// </summary>
    private static bool RowsAlign(Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.Q == g.W;

    /// <summary>
    /// For one (r, s) of an aligned geometry: the valid output rows [p0, p1) and columns [q0, q1),
    /// the shift d from output index p·Q + q to input index h·W + w, and the contiguous index
    /// range [j0, j1) = [p0·Q + q0, (p1−1)·Q + q1) that holds every valid entry. Inside it, the
    /// entries q ∈ [q1, Q) of row p and q ∈ [0, q0) of row p+1 wrap around a row edge: they
    /// are padding, not pixels.
    /// </summary>
    private static void AlignedRange(Conv2dGeometry g, int r, int s, out int p0, out int p1, out int q0, out int q1, out int d, out int j0, out int j1)
    {
        ValidRange(r - g.PadH, 1, g.P, g.H, out p0, out p1);
        ValidRange(s - g.PadW, 1, g.Q, g.W, out q0, out q1);
        d = (r - g.PadH) * g.W + (s - g.PadW);
        bool any = p1 > p0 && q1 > q0;
        j0 = any ? p0 * g.Q + q0 : 0;
        j1 = any ? (p1 - 1) * g.Q + q1 : 0;
    }

    private static void Col2ImAligned(float[] dcol, Conv2dGeometry g, int n0, int count, float[] dx)
    {
        int Q = g.Q, PQ = g.P * Q, cols = count * PQ, HW = g.H * g.W;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    AlignedRange(g, r, s, out int p0, out int p1, out int q0, out int q1, out int d, out int j0, out int j1);
                    if (j1 == j0) continue;
                    long row = ((long)(c * g.R + r) * g.S + s) * cols;
                    for (int i = 0; i < count; i++)
                    {
                        var src = dcol.AsSpan((int)(row + (long)i * PQ), PQ);
                        // Wrapped entries came from padding: drop them, then add the block in one pass.
                        for (int p = p0; p < p1 - 1; p++) src[(p * Q + q1)..((p + 1) * Q + q0)].Clear();
                        var dst = dx.AsSpan((int)(((long)(n0 + i) * g.C + c) * HW + j0 + d), j1 - j0);
                        System.Numerics.Tensors.TensorPrimitives.Add(dst, src[j0..j1], dst);
                    }
                }
    }

    /// <summary>[q0, q1): the output positions q &lt; count whose input coordinate q·stride + offset lies in [0, size).</summary>
    private static void ValidRange(int offset, int stride, int count, int size, out int q0, out int q1)
    {
        q0 = 0;
        while (q0 < count && q0 * stride + offset < 0) q0++;
        q1 = count;
        while (q1 > q0 && (q1 - 1) * stride + offset >= size) q1--;
    }
}
