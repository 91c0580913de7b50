using System.Diagnostics;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Bench;

/// <summary>
/// Milliseconds per launch of each kernel family on the emulated device, a few shapes each
/// (best of 5). The emulator is a correctness tool: these numbers say how large a test shape
/// can be, not how fast a GPU is.
/// </summary>
public static class EmuKernelBench
{
    public static void Run()
    {
        EmuBuild.EnsureBuilt("release");
        using var d = new EmuDriver();
        Console.WriteLine("emu kernels (ms per launch, best of 5)");
        var ew = new ElementwiseKernels(d);
        var red = new ReductionKernels(d);
        var gemm = new GemmKernels(d);
        var sm = new SoftmaxKernels(d);
        var l2 = new L2NormKernels(d);
        var ix = new IndexKernels(d);
        var rnd = new RandomKernels(d);
        foreach (int n in new[] { 1 << 12, 1 << 16, 1 << 20 })
        {
            using var x = DeviceBuffer.Allocate<float>(d, n);
            using var y = DeviceBuffer.Allocate<float>(d, n);
            using var r = DeviceBuffer.Allocate<float>(d, 1);
            rnd.Uniform(x, n, 1, 2);
            Time($"relu n={n}", () => ew.Relu(x, y, n));
            Time($"axpy n={n}", () => ew.Axpy(0.5f, x, y, n));
            Time($"sum n={n}", () => red.Sum(x, n, r));
        }
        foreach (int s in new[] { 64, 128, 256 })
        {
            using var a = DeviceBuffer.Allocate<float>(d, s * s);
            using var b = DeviceBuffer.Allocate<float>(d, s * s);
            using var c = DeviceBuffer.Allocate<float>(d, s * s);
            rnd.Uniform(a, s * s, 1, 3);
            rnd.Uniform(b, s * s, 1, 4);
            Time($"gemm naive {s}^3", () => gemm.Gemm(false, false, s, s, s, 1f, a, b, 0f, c, GemmVersion.Naive), 2.0 * s * s * s);
            Time($"gemm tiled {s}^3", () => gemm.Gemm(false, false, s, s, s, 1f, a, b, 0f, c, GemmVersion.Tiled), 2.0 * s * s * s);
        }
        foreach (var (rows, cols) in new[] { (256, 128), (512, 512) })
        {
            int n = rows * cols;
            using var x = DeviceBuffer.Allocate<float>(d, n);
            using var y = DeviceBuffer.Allocate<float>(d, n);
            using var norms = DeviceBuffer.Allocate<float>(d, rows);
            using var idx = DeviceBuffer.From(d, Enumerable.Range(0, rows).Select(i => (i * 7) % rows).ToArray());
            rnd.Normal(x, n, 1, 5);
            Time($"log-softmax {rows}x{cols}", () => sm.LogSoftmax(x, y, rows, cols));
            Time($"l2-normalise {rows}x{cols}", () => l2.Normalize(x, y, norms, rows, cols));
            Time($"column sums {rows}x{cols}", () => red.ColumnSums(x, norms, rows, Math.Min(cols, rows)));
            Time($"scatter-add {rows}x{cols}", () => ix.ScatterAddRows(x, idx, y, rows, cols));
            Time($"normal n={n}", () => rnd.Normal(y, n, 3, 4));
        }
        Console.WriteLine();
    }

    private static void Time(string what, Action launch, double flops = 0)
    {
        launch();
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            launch();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"  {what,-28} {best,9:F3} ms{(flops > 0 ? $"  {flops / best / 1e6,7:F2} GFLOP/s" : "")}");
    }
}
