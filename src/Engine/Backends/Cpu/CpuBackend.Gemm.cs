using NativeContrastive.Engine.Backends.Cpu.Gemm;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Matrix products through the blocked, packed <see cref="Sgemm"/>; blocked transpose.</summary>
public sealed partial class CpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long aOffset, Tensor b, long bOffset, float beta, Tensor c, long cOffset)
    {
        using var profile = CpuProfile.Time(LaunchCost.Gemm(m, n, k, readsC: beta != 0f));
        Sgemm.Run(transA, transB, m, n, k, alpha, Data(a), aOffset, transA ? m : k, Data(b), bOffset, transB ? k : n,
                  beta, Data(c), cOffset, n);
    }

    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha, Tensor a, long strideA, Tensor b, long strideB, float beta, Tensor c, long strideC, int count)
    {
        using var profile = CpuProfile.Time(LaunchCost.Gemm(m, n, k, readsC: beta != 0f).Times(count));
        float[] A = Data(a), B = Data(b), C = Data(c);
        int lda = transA ? m : k, ldb = transB ? k : n;
        // Many small products: one per thread, each single-threaded. Few large ones: threads inside each.
        bool perBatch = count > 1 && (long)m * n * k < 4 * Sgemm.ParallelMinMacs;
        if (perBatch && (long)count * m * n * k >= Sgemm.ParallelMinMacs)
            Parallel.For(0, count, i => Sgemm.Run(transA, transB, m, n, k, alpha, A, i * strideA, lda, B, i * strideB, ldb, beta, C, i * strideC, n, parallel: false));
        else
            for (int i = 0; i < count; i++)
                Sgemm.Run(transA, transB, m, n, k, alpha, A, i * strideA, lda, B, i * strideB, ldb, beta, C, i * strideC, n, parallel: !perBatch);
    }

    /// <summary>Tile edge of the blocked transpose: a 32×32 tile of reads and writes stays in L1.</summary>
    private const int TransposeTile = 32;

    public void Transpose(Tensor x, int batch, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * x.Length));
        float[] X = Data(x), Y = Data(y);
        int rowTiles = (rows + TransposeTile - 1) / TransposeTile;
        long plane = (long)rows * cols;
        void Tile(int t)
        {
            int bi = t / rowTiles, r0 = t % rowTiles * TransposeTile;
            long baseOffset = bi * plane;
            int r1 = Math.Min(rows, r0 + TransposeTile);
            for (int c0 = 0; c0 < cols; c0 += TransposeTile)
            {
                int c1 = Math.Min(cols, c0 + TransposeTile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        Y[baseOffset + (long)c * rows + r] = X[baseOffset + (long)r * cols + c];
            }
        }
        int tasks = batch * rowTiles;
        if (batch * plane < ParallelThreshold) for (int t = 0; t < tasks; t++) Tile(t);
        else Parallel.For(0, tasks, Tile);
    }
}
