namespace NativeContrastive.Engine.Backends.Cpu;

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
        int P = g.P, Q = g.Q, PQ = P * Q, cols = count * PQ, HW = g.H * g.W;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    long row = ((long)(c * g.R + r) * g.S + s) * cols;
                    for (int i = 0; i < count; i++)
                    {
                        long plane = ((long)(n0 + i) * g.C + c) * HW;
                        long dst0 = row + (long)i * PQ;
                        for (int p = 0; p < P; p++)
                        {
                            int h = p * g.StrideH - g.PadH + r;
                            var dst = col.AsSpan((int)(dst0 + (long)p * Q), Q);
                            if ((uint)h >= (uint)g.H) { dst.Clear(); continue; }
                            long src = plane + (long)h * g.W;
                            ValidRange(s - g.PadW, g.StrideW, Q, g.W, out int q0, out int q1);
                            dst[..q0].Clear();
                            dst[q1..].Clear();
                            if (q1 == q0) continue;
                            int w0 = q0 * g.StrideW - g.PadW + s;
                            if (g.StrideW == 1) x.AsSpan((int)(src + w0), q1 - q0).CopyTo(dst[q0..q1]);
                            else for (int q = q0, w = w0; q < q1; q++, w += g.StrideW) dst[q] = x[src + w];
                        }
                    }
                }
    }

    /// <summary>dx[n0 .. n0+count) += scatter of dcol (the caller zeroes dx first).</summary>
    public static void Col2Im(float[] dcol, Conv2dGeometry g, int n0, int count, float[] dx)
    {
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

    /// <summary>[q0, q1): the output positions q &lt; count whose input coordinate q·stride + offset lies in [0, size).</summary>
    private static void ValidRange(int offset, int stride, int count, int size, out int q0, out int q1)
    {
        q0 = 0;
        while (q0 < count && q0 * stride + offset < 0) q0++;
        q1 = count;
        while (q1 > q0 && (q1 - 1) * stride + offset >= size) q1--;
    }
}
