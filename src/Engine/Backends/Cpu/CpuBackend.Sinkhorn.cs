using System.Buffers;
using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// SwAV's Sinkhorn-Knopp codes, the C# reference of kernels-cu/sinkhorn.cu: the log-domain
/// iteration in double (specification on <see cref="IBackend.SinkhornCodes"/>). With t_bk = s_bk/ε
/// and Q_kb = exp(t_bk + u_k + v_b) (never formed):
///   prototype step  u_k = −log K − LSE_b(t_bk + v_b)  — afterwards every row k of Q sums to 1/K;
///   sample step     v_b = −log B − LSE_k(t_bk + u_k)  — afterwards every column b sums to 1/B;
/// starting from v = 0, T times, and codes_b· = B·Q_·b = softmax_k(t_b· + u) (the last sample step).
/// Every log-sum-exp subtracts its maximum first (each exp argument ≤ 0, the largest term is exactly 1),
/// so any finite scores give finite codes: |t| ≤ FLT_MAX / FLT_MIN ≈ 3e76 is far inside double's range.
/// Rows of s are contiguous, so the sample step is one row per task; the prototype step runs over
/// fixed chunks of <see cref="SinkhornChunkRows"/> rows (elementwise maxima, then partial sums added in
/// chunk order), so the result does not depend on the core count or on scheduling.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Rows per chunk of the prototype step (fixed: it sets the summation order).</summary>
    internal const int SinkhornChunkRows = 32;

    public void SinkhornCodes(Tensor scores, Tensor codes, int rows, int cols, float epsilon, int iterations)
    {
        SinkhornArguments.Validate(scores, codes, rows, cols, epsilon, iterations);
        long n = (long)rows * cols;
        // Declared traffic as the device's: the matrix read once per iteration and once for the output, codes written once.
        using var profile = CpuProfile.Time(LaunchCost.Elements((iterations + 2) * n));
        float[] S = Data(scores), C = Data(codes);
        int B = rows, K = cols;
        double logB = Math.Log(B), logK = Math.Log(K);
        var u = new double[K];
        var v = new double[B];   // v = 0: the official Q /= ΣQ is divided out by the first prototype step

        for (int it = 0; it < iterations; it++)
        {
            if (it > 0)
            {
                // Sample step (of the previous iteration): v_b = −log B − LSE_k(t_bk + u_k).
                // Invariant afterwards: Σ_k Q_kb = 1/B for every sample b (columns sum to 1/B).
                ParallelRows(B, K, b => v[b] = -logB - SinkhornRowLse(S, b, K, epsilon, u));
            }
            // Prototype step: u_k = −log K − LSE_b(t_bk + v_b).
            // Invariant afterwards: Σ_b Q_kb = 1/K for every prototype k (rows sum to 1/K).
            SinkhornPrototypeStep(S, B, K, epsilon, v, logK, u);
        }

        // Last sample step and output: codes_bk = B·Q_kb = exp(t_bk + u_k − LSE_k(t_b· + u)),
        // so every sample's code sums to 1 (Σ_k Q_kb = 1/B, times B).
        ParallelRows(B, K, b =>
        {
            var x = ArrayPool<double>.Shared.Rent(K);
            try
            {
                var xb = x.AsSpan(0, K);
                var (_, sum) = SinkhornRowTerms(S, b, K, epsilon, u, xb);   // sum ≥ 1: the largest term is e⁰
                var cb = C.AsSpan(b * K, K);
                for (int k = 0; k < K; k++) cb[k] = (float)(xb[k] / sum);
            }
            finally
            {
                ArrayPool<double>.Shared.Return(x);
            }
        });
    }

    /// <summary>x_k = t_bk = s_bk/ε for row b, in double.</summary>
    private static void SinkhornLogits(float[] S, int b, int K, float epsilon, Span<double> x)
    {
        TensorPrimitives.ConvertChecked<float, double>(S.AsSpan(b * K, K), x);
        TensorPrimitives.Divide(x, (double)epsilon, x);
    }

    /// <summary>
    /// For row b: x_k ← exp(s_bk/ε + u_k − max) in <paramref name="x"/>, returning the max and Σ_k x_k
    /// (max subtracted: every term ≤ 1, the largest exactly 1).
    /// </summary>
    private static (double Max, double Sum) SinkhornRowTerms(float[] S, int b, int K, float epsilon, double[] u, Span<double> x)
    {
        SinkhornLogits(S, b, K, epsilon, x);
        TensorPrimitives.Add(x, u, x);
        double max = TensorPrimitives.Max<double>(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp<double>(x, x);
        return (max, TensorPrimitives.Sum<double>(x));
    }

    /// <summary>LSE_k(s_bk/ε + u_k) for one row b: max + log Σ exp(x − max).</summary>
    private static double SinkhornRowLse(float[] S, int b, int K, float epsilon, double[] u)
    {
        var x = ArrayPool<double>.Shared.Rent(K);
        try
        {
            var (max, sum) = SinkhornRowTerms(S, b, K, epsilon, u, x.AsSpan(0, K));
            return max + Math.Log(sum);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(x);
        }
    }

    /// <summary>
    /// u_k = −log K − LSE_b(s_bk/ε + v_b), the log-sum-exp over all rows in two passes over fixed row
    /// chunks: the maxima M_k (max is exact, so their order does not matter), then Σ_b exp(x_bk − M_k)
    /// per chunk, added in chunk order; LSE = M_k + log Σ (Σ ≥ 1: the largest term is e⁰).
    /// </summary>
    private static void SinkhornPrototypeStep(float[] S, int B, int K, float epsilon, double[] v, double logK, double[] u)
    {
        int chunks = (B + SinkhornChunkRows - 1) / SinkhornChunkRows;
        var partial = new double[chunks * K];
        void EachChunk(Action<int, Span<double>, Span<double>> body)
        {
            Action<int> chunk = c =>
            {
                var x = ArrayPool<double>.Shared.Rent(K);
                try { body(c, partial.AsSpan(c * K, K), x.AsSpan(0, K)); }
                finally { ArrayPool<double>.Shared.Return(x); }
            };
            if ((long)B * K < ParallelThreshold || chunks == 1) for (int c = 0; c < chunks; c++) chunk(c);
            else Parallel.For(0, chunks, chunk);
        }
        int Rows(int c) => Math.Min(SinkhornChunkRows, B - c * SinkhornChunkRows);

        // Pass 1: per chunk, the elementwise maximum over its rows of x_b· = t_b· + v_b.
        EachChunk((c, max, x) =>
        {
            max.Fill(double.NegativeInfinity);
            for (int i = 0; i < Rows(c); i++)
            {
                int b = c * SinkhornChunkRows + i;
                SinkhornLogits(S, b, K, epsilon, x);
                TensorPrimitives.Add(x, v[b], x);
                TensorPrimitives.Max(max, x, max);
            }
        });
        var M = new double[K];
        M.AsSpan().Fill(double.NegativeInfinity);
        for (int c = 0; c < chunks; c++) TensorPrimitives.Max(M, partial.AsSpan(c * K, K), M);

        // Pass 2: per chunk, Σ_b exp(x_bk − M_k) over its rows; then the chunks in order.
        EachChunk((c, sum, x) =>
        {
            sum.Clear();
            for (int i = 0; i < Rows(c); i++)
            {
                int b = c * SinkhornChunkRows + i;
                SinkhornLogits(S, b, K, epsilon, x);
                TensorPrimitives.Add(x, v[b], x);
                TensorPrimitives.Subtract(x, M, x);
                TensorPrimitives.Exp<double>(x, x);
                TensorPrimitives.Add(sum, x, sum);
            }
        });
        var total = new double[K];
        for (int c = 0; c < chunks; c++) TensorPrimitives.Add(total, partial.AsSpan(c * K, K), total);
        for (int k = 0; k < K; k++) u[k] = -logK - (M[k] + Math.Log(total[k]));
    }
}
