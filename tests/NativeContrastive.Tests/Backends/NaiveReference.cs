namespace NativeContrastive.Tests.Backends;

/// <summary>Direct double-precision loops that the fast cpu kernels are compared against.</summary>
public static class NaiveReference
{
    /// <summary>C ← α·op(A)·op(B) + β·C in double (β = 0 ignores C), row-major with packed leading dimensions.</summary>
    public static double[] Gemm(bool transA, bool transB, int m, int n, int k, double alpha, float[] a, int aOff, float[] b, int bOff,
                                double beta, float[] c, int cOff)
    {
        var r = new double[(long)m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    double bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    s += av * bv;
                }
                r[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[cOff + i * n + j]);
            }
        return r;
    }

    public readonly record struct Conv(int N, int C, int H, int W, int K, int R, int S, int Stride, int Pad)
    {
        public int P => (H + 2 * Pad - R) / Stride + 1;
        public int Q => (W + 2 * Pad - S) / Stride + 1;

        /// <summary>Calls f(n, k, p, q, c, r, s, xIndex) for every multiply-add of the forward pass that touches the image.</summary>
        public void ForEachTap(Action<int, int, int, int, int, int, int, int> f)
        {
            for (int n = 0; n < N; n++)
                for (int k = 0; k < K; k++)
                    for (int p = 0; p < P; p++)
                        for (int q = 0; q < Q; q++)
                            for (int c = 0; c < C; c++)
                                for (int r = 0; r < R; r++)
                                    for (int s = 0; s < S; s++)
                                    {
                                        int h = p * Stride - Pad + r, w = q * Stride - Pad + s;
                                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                        f(n, k, p, q, c, r, s, ((n * C + c) * H + h) * W + w);
                                    }
        }

        public int Y(int n, int k, int p, int q) => ((n * K + k) * P + p) * Q + q;
        public int Wt(int k, int c, int r, int s) => ((k * C + c) * R + r) * S + s;

        public double[] Forward(float[] x, float[] w, float[]? bias)
        {
            var y = new double[N * K * P * Q];
            if (bias is not null)
                for (int i = 0; i < y.Length; i++) y[i] = bias[i / (P * Q) % K];
            var self = this;
            ForEachTap((n, k, p, q, c, r, s, xi) => y[self.Y(n, k, p, q)] += (double)w[self.Wt(k, c, r, s)] * x[xi]);
            return y;
        }

        public double[] BackwardData(float[] dy, float[] w)
        {
            var dx = new double[N * C * H * W];
            var self = this;
            ForEachTap((n, k, p, q, c, r, s, xi) => dx[xi] += (double)w[self.Wt(k, c, r, s)] * dy[self.Y(n, k, p, q)]);
            return dx;
        }

        public double[] BackwardWeight(float[] x, float[] dy)
        {
            var dw = new double[K * C * R * S];
            var self = this;
            ForEachTap((n, k, p, q, c, r, s, xi) => dw[self.Wt(k, c, r, s)] += (double)x[xi] * dy[self.Y(n, k, p, q)]);
            return dw;
        }
    }
}
