using System.Buffers;

namespace NativeContrastive.Engine.Backends.Cpu.Conv;

/// <summary>
/// How the cpu convolution splits a batch: images are processed in chunks so each GEMM has
/// at least <see cref="TargetColumns"/> columns (late ResNet layers have P·Q = 16, far too
/// narrow for an 8×32 micro-kernel on their own), and chunks are spread over the cores
/// with a single-threaded GEMM each. With fewer chunks than cores the GEMM itself goes
/// parallel instead.
/// </summary>
internal readonly record struct ConvPlan(Conv2dGeometry G, int ImagesPerChunk, int Chunks, bool ParallelChunks)
{
    /// <summary>Which level the cores split: chunks of images (each GEMM single-threaded) or inside each GEMM.</summary>
    internal enum Parallelism { Auto, Chunks, Gemm }

    /// <summary>Override for benchmarking the two strategies (bench "conv-strategies"); Auto in normal use.</summary>
    internal static Parallelism Strategy { get; set; } = Parallelism.Auto;

    /// <summary>Wanted GEMM width (count·P·Q) per chunk.</summary>
    public const int TargetColumns = 256;

    public int PQ => G.P * G.Q;
    public int CRS => G.C * G.R * G.S;

    /// <summary>1×1, stride 1, no padding: the image itself is the column matrix (no im2col).</summary>
    public bool IsPointwise => G.R == 1 && G.S == 1 && G.StrideH == 1 && G.StrideW == 1 && G.PadH == 0 && G.PadW == 0;

    public static ConvPlan For(Conv2dGeometry g)
    {
        int threads = Environment.ProcessorCount;
        int pq = Math.Max(1, g.P * g.Q);
        int per = Math.Max(1, (ConvPlan.TargetColumns + pq - 1) / pq);
        // Keep at least one chunk per core when the batch allows it.
        per = Math.Min(per, Math.Max(1, (g.N + threads - 1) / threads));
        per = Math.Min(per, Math.Max(1, g.N));
        int chunks = g.N == 0 ? 0 : (g.N + per - 1) / per;
        bool parallelChunks = Strategy switch
        {
            Parallelism.Chunks => threads > 1 && chunks > 1,
            Parallelism.Gemm => false,
            _ => chunks >= threads && threads > 1,
        };
        return new ConvPlan(g, per, chunks, parallelChunks);
    }

    public int Start(int chunk) => chunk * ImagesPerChunk;
    public int Count(int chunk) => Math.Min(ImagesPerChunk, G.N - Start(chunk));

    /// <summary>Runs body(chunk) for every chunk, across cores when <see cref="ParallelChunks"/>.</summary>
    public void ForEachChunk(Action<int> body)
    {
        if (ParallelChunks) Parallel.For(0, Chunks, body);
        else for (int i = 0; i < Chunks; i++) body(i);
    }

    public static float[] Rent(long length) => ArrayPool<float>.Shared.Rent(checked((int)Math.Max(1, length)));
    public static void Return(float[] buffer) => ArrayPool<float>.Shared.Return(buffer);
}
