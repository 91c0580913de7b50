using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Bench;

/// <summary>SGEMM GFLOP/s (2·m·n·k per call) for square sizes and for the shapes a ResNet-18/SimCLR step produces.</summary>
public static class GemmBench
{
    private static readonly (string Name, bool TransA, bool TransB, int M, int N, int K)[] Shapes =
    [
        ("square 256", false, false, 256, 256, 256),
        ("square 512", false, false, 512, 512, 512),
        ("square 1024", false, false, 1024, 1024, 1024),
        ("square 2048", false, false, 2048, 2048, 2048),
        ("square 1024 Aᵀ", true, false, 1024, 1024, 1024),
        ("square 1024 Bᵀ", false, true, 1024, 1024, 1024),
        ("conv fwd layer1 (W·col, 1 image)", false, false, 64, 1024, 576),
        ("conv fwd layer2 (W·col, 1 image)", false, false, 128, 256, 1152),
        ("conv fwd layer3 (W·col, 4 images)", false, false, 256, 256, 2304),
        ("conv fwd layer4 (W·col, 16 images)", false, false, 512, 256, 4608),
        ("conv bwd-data layer4 (Wᵀ·dy)", true, false, 4608, 256, 512),
        ("conv bwd-weight layer4 (dy·colᵀ)", false, true, 512, 4608, 256),
        ("linear 512x512, batch 512 (x·Wᵀ)", false, true, 512, 512, 512),
        ("SimCLR similarities 1024x1024x128", false, true, 1024, 1024, 128),
    ];

    public static void Run()
    {
        var cpu = CpuBackend.Instance;
        Console.WriteLine($"GEMM (cpu, {Environment.ProcessorCount} threads)");
        Console.WriteLine($"{"shape",-40} {"m",6} {"n",6} {"k",6} {"ms",9} {"GFLOP/s",9} {"per CPU-s",10}");
        foreach (var (name, ta, tb, m, n, k) in Shapes)
        {
            using var scope = TensorScope.Begin();
            var a = Tensor.Full(cpu, 0.5f, m * k);
            var b = Tensor.Full(cpu, 0.25f, k * n);
            var c = Tensor.Zeros(cpu, m * n);
            var t = Timing.Best(() => cpu.Gemm(ta, tb, m, n, k, 1f, a, 0, b, 0, 0f, c, 0));
            double f = 2.0 * m * n * k;
            Console.WriteLine($"{name,-40} {m,6} {n,6} {k,6} {t.WallMs,9:F3} {Timing.GigaFlops(f, t.WallMs),9:F1} {Timing.GigaFlops(f, t.CpuMs),10:F1}");
        }
        Console.WriteLine();
    }
}
