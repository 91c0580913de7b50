using System.Diagnostics;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Bench;

/// <summary>
/// conv_mma.cu (tensor cores) beside conv.cu (fp32 SIMT) on the CUDA device at the 3×3 shapes of
/// ResNet-18 on 32×32 inputs: ms per call (mean of 20 after a warm-up, stream-synchronised) and
/// TFLOP/s (2·N·K·P·Q·C·R·S per primitive) for fp32, tf32 and bf16, with the split counts of
/// backward weight, both tile heights of the tensor-core kernels where the layer has ≥ 128 rows,
/// and each rate's share of the device's peak for that precision (FP32 lanes or
/// dense TF32 / BF16 tensor cores, <see cref="CudaDevicePeaks"/>). Skipped below compute capability 8.0.
/// </summary>
public static class CudaConvMmaBench
{
    public static void Run(int batch)
    {
        if (!CudaDevice.IsAvailable(out var reason))
        {
            Console.WriteLine($"cuda-conv-mma: skipped ({reason})");
            return;
        }
        using var cuda = new CudaDriver();
        if (cuda.Arch.Major < 8)
        {
            Console.WriteLine($"cuda-conv-mma: skipped (compute capability {cuda.Arch.Major}.{cuda.Arch.Minor} < 8.0)");
            return;
        }
        Console.WriteLine($"cuda conv fp32 / tf32 / bf16 — {cuda.Device.Name}, batch {batch}");
        var peaks = CudaDevicePeaks.Query(cuda.Device.Ordinal);
        double? Peak(Precision p) => peaks.GigaflopsPerSecond(p) / 1e3;
        Console.WriteLine($"  peaks (TF/s): fp32 {Peak(Precision.Fp32):F1}, tf32 tensor {Peak(Precision.Tf32):F1}, bf16 tensor {Peak(Precision.Bf16):F1}");
        using var conv = new ConvKernels(cuda);
        using var mma = new ConvMmaKernels(cuda);
        foreach (var (c, k, hw, stride) in new[] { (3, 64, 32, 1), (64, 64, 32, 1), (64, 128, 32, 2), (128, 128, 16, 1), (256, 256, 8, 1), (512, 512, 4, 1) })
        {
            var g = new ConvShape(batch, c, hw, hw, k, 3, 3, stride, stride, 1, 1);
            using var x = DeviceBuffer.From(cuda, Random(g.InputLength, 1));
            using var w = DeviceBuffer.From(cuda, Random(g.WeightLength, 2));
            using var y = DeviceBuffer.Allocate<float>(cuda, g.OutputLength);
            using var dx = DeviceBuffer.Allocate<float>(cuda, g.InputLength);
            using var dw = DeviceBuffer.Allocate<float>(cuda, g.WeightLength);
            double tflop = 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S / 1e12;
            string Rate(double ms, Precision p) => tflop / (ms / 1e3) is var tf && Peak(p) is double peak
                ? $"{ms,7:F3} ms {tf,5:F1} TF/s ({100 * tf / peak,3:F0}%)" : $"{ms,7:F3} ms {tflop / (ms / 1e3),5:F1} TF/s";
            string Line(Precision p, string tile, double f, double d, double wt) =>
                $"  {p.ToString().ToLowerInvariant(),-4} {tile,-7} fwd {Rate(f, p)}   bwd-data {Rate(d, p)}   bwd-weight {Rate(wt, p)}";
            Console.WriteLine($"  conv 3x3/{stride} {c,3}->{k,3} {hw,2}x{hw,-2} (mma bwd-weight {ConvMmaKernels.BackwardWeightSplits(g)} splits)");
            Console.WriteLine(Line(Precision.Fp32, "64x128", Ms(cuda, () => conv.Conv2dForward(x, w, null, y, g)), Ms(cuda, () => conv.Conv2dBackwardData(y, w, dx, g)),
                Ms(cuda, () => conv.Conv2dBackwardWeight(x, y, dw, null, g))));
            // Both tile heights where the layer could take the tall one; "*" marks the launcher's choice.
            int fwdSplits = ConvMmaKernels.Splits(g.K, (long)g.N * g.P * g.Q, (long)g.C * g.R * g.S, g.OutputLength);
            int dataSplits = ConvMmaKernels.Splits(g.C, (long)g.N * g.H * g.W, (long)g.K * g.R * g.S, g.InputLength);
            int weightSplits = ConvMmaKernels.BackwardWeightSplits(g);
            foreach (var p in new[] { Precision.Tf32, Precision.Bf16 })
                foreach (int rows in new[] { ConvMmaKernels.ShortTileRows, ConvMmaKernels.TallTileRows })
                {
                    if (rows == ConvMmaKernels.TallTileRows && Math.Min(g.K, g.C) < rows) continue;
                    string tile = $"{rows}x64{(ConvMmaKernels.TileRowsFor(g.K) == rows ? "*" : "")}";
                    Console.WriteLine(Line(p, tile, Ms(cuda, () => mma.Conv2dForward(x, w, null, y, g, p, fwdSplits, rows)),
                        Ms(cuda, () => mma.Conv2dBackwardData(y, w, dx, g, p, dataSplits, rows)),
                        Ms(cuda, () => mma.Conv2dBackwardWeight(x, y, dw, null, g, p, weightSplits, rows))));
                }
        }
    }

    private static float[] Random(long n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = 2 * r.NextSingle() - 1;
        return a;
    }

    private static double Ms(CudaDriver cuda, Action run)
    {
        run();
        cuda.Synchronize();
        const int reps = 20;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) run();
        cuda.Synchronize();
        return sw.Elapsed.TotalMilliseconds / reps;
    }
}
