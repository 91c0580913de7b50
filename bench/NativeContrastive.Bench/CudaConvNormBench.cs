using System.Diagnostics;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Bench;

/// <summary>
/// conv.cu, batchnorm.cu and pool.cu on the CUDA device at the shapes of ResNet-18 on 32×32
/// inputs (CIFAR stem): ms per call (mean of 20 after a warm-up, stream-synchronised) with
/// TFLOP/s for the convolutions (2·N·K·P·Q·C·R·S per primitive) and GB/s for batch norm and
/// pooling (bytes every launch of the primitive reads and writes once, a lower bound).
/// </summary>
public static class CudaConvNormBench
{
    public static void Run(int batch)
    {
        if (!CudaDevice.IsAvailable(out var reason))
        {
            Console.WriteLine($"cuda-conv: skipped ({reason})");
            return;
        }
        using var cuda = new CudaDriver();
        Console.WriteLine($"cuda conv / batch norm / pool — {cuda.Device.Name}, batch {batch}");
        using var conv = new ConvKernels(cuda);
        foreach (var (c, k, hw, stride) in new[] { (3, 64, 32, 1), (64, 64, 32, 1), (64, 128, 32, 2), (128, 128, 16, 1), (256, 256, 8, 1), (512, 512, 4, 1) })
        {
            var g = new ConvShape(batch, c, hw, hw, k, 3, 3, stride, stride, 1, 1);
            using var x = DeviceBuffer.From(cuda, Random(g.InputLength, 1));
            using var w = DeviceBuffer.From(cuda, Random(g.WeightLength, 2));
            using var y = DeviceBuffer.Allocate<float>(cuda, g.OutputLength);
            using var dx = DeviceBuffer.Allocate<float>(cuda, g.InputLength);
            using var dw = DeviceBuffer.Allocate<float>(cuda, g.WeightLength);
            double flops = 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S;
            double f = Ms(cuda, () => conv.Conv2dForward(x, w, null, y, g));
            double d = Ms(cuda, () => conv.Conv2dBackwardData(y, w, dx, g));
            double wt = Ms(cuda, () => conv.Conv2dBackwardWeight(x, y, dw, null, g));
            Console.WriteLine($"  conv 3x3/{stride} {c,3}->{k,3} {hw,2}x{hw,-2}  fwd {f,7:F3} ms {flops / f / 1e9,5:F1} TF/s   " +
                              $"bwd-data {d,7:F3} ms {flops / d / 1e9,5:F1} TF/s   bwd-weight {wt,7:F3} ms {flops / wt / 1e9,5:F1} TF/s " +
                              $"({ConvKernels.BackwardWeightSplits(g)} splits)");
        }

        using var bn = new BatchNormKernels(cuda);
        foreach (var (c, hw) in new[] { (64, 32 * 32), (128, 16 * 16), (512, 4 * 4), (2048, 1) })
        {
            int count = batch * c * hw;
            using var x = DeviceBuffer.From(cuda, Random(count, 3));
            using var y = DeviceBuffer.Allocate<float>(cuda, count);
            using var dx = DeviceBuffer.Allocate<float>(cuda, count);
            using var gamma = DeviceBuffer.From(cuda, Enumerable.Repeat(1f, c).ToArray());
            using var beta = DeviceBuffer.From(cuda, new float[c]);
            using var mean = DeviceBuffer.Allocate<float>(cuda, c);
            using var inv = DeviceBuffer.Allocate<float>(cuda, c);
            using var rm = DeviceBuffer.From(cuda, new float[c]);
            using var rv = DeviceBuffer.From(cuda, Enumerable.Repeat(1f, c).ToArray());
            using var dg = DeviceBuffer.Allocate<float>(cuda, c);
            using var db = DeviceBuffer.Allocate<float>(cuda, c);
            double f = Ms(cuda, () => bn.BatchNormForwardTraining(x, gamma, beta, y, mean, inv, rm, rv, batch, c, hw, 0.1f, 1e-5f, true));
            double b = Ms(cuda, () => bn.BatchNormBackward(x, x, y, gamma, mean, inv, dx, dg, db, batch, c, hw));
            // Forward: the statistics read x, the apply reads x and writes y (3 passes). Backward: the
            // reduce reads x, dy, y; the apply reads them again and writes dx (7 passes).
            Console.WriteLine($"  batchnorm c={c,4} hw={hw,4}  fwd+relu {f,7:F3} ms {3.0 * count * 4 / f / 1e6,6:F0} GB/s   " +
                              $"bwd {b,7:F3} ms {7.0 * count * 4 / b / 1e6,6:F0} GB/s ({BatchNormKernels.Splits(batch, c, hw)} splits)");
        }

        var pool = new PoolKernels(cuda);
        var pg = new PoolShape(batch, 64, 112, 112, 3, 2, 1);
        using var px = DeviceBuffer.From(cuda, Random(pg.InputLength, 4));
        using var py = DeviceBuffer.Allocate<float>(cuda, pg.OutputLength);
        using var arg = DeviceBuffer.Allocate<int>(cuda, pg.OutputLength);
        using var pdx = DeviceBuffer.Allocate<float>(cuda, pg.InputLength);
        double pf = Ms(cuda, () => pool.MaxPool2dForward(px, py, arg, pg));
        double pb = Ms(cuda, () => pool.MaxPool2dBackward(py, arg, pdx, pg));
        Console.WriteLine($"  max-pool 3x3/2 64x112x112  fwd {pf,7:F3} ms {(pg.InputLength + 2.0 * pg.OutputLength) * 4 / pf / 1e6,6:F0} GB/s   " +
                          $"bwd {pb,7:F3} ms {(pg.InputLength + 2.0 * pg.OutputLength) * 4 / pb / 1e6,6:F0} GB/s");
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
