using NativeContrastive.Engine;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Cpu.Conv;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Bench;

/// <summary>
/// Each distinct convolution of ResNet-18 for CIFAR (3x3 stem, no max-pool) at batch 64:
/// forward, backward-data and backward-weight, each counted as 2·N·K·P·Q·C·R·S FLOPs.
/// </summary>
public static class ConvBench
{
    private static readonly (string Name, int C, int HW, int K, int Kernel, int Stride, int Pad)[] Layers =
    [
        ("stem 3→64 3x3", 3, 32, 64, 3, 1, 1),
        ("layer1 64→64 3x3", 64, 32, 64, 3, 1, 1),
        ("layer2 64→128 3x3 s2", 64, 32, 128, 3, 2, 1),
        ("layer2 128→128 3x3", 128, 16, 128, 3, 1, 1),
        ("layer2 shortcut 64→128 1x1 s2", 64, 32, 128, 1, 2, 0),
        ("layer3 128→256 3x3 s2", 128, 16, 256, 3, 2, 1),
        ("layer3 256→256 3x3", 256, 8, 256, 3, 1, 1),
        ("layer3 shortcut 128→256 1x1 s2", 128, 16, 256, 1, 2, 0),
        ("layer4 256→512 3x3 s2", 256, 8, 512, 3, 2, 1),
        ("layer4 512→512 3x3", 512, 4, 512, 3, 1, 1),
        ("layer4 shortcut 256→512 1x1 s2", 256, 8, 512, 1, 2, 0),
        ("pointwise 256→256 1x1 (no im2col)", 256, 8, 256, 1, 1, 0),
    ];

    /// <summary>Runs the layer table once per parallel strategy, to choose the default (see ConvPlan).</summary>
    public static void CompareStrategies(int batch)
    {
        foreach (var strategy in new[] { ConvPlan.Parallelism.Chunks, ConvPlan.Parallelism.Gemm })
        {
            ConvPlan.Strategy = strategy;
            Console.WriteLine($"strategy: parallel over {strategy}");
            Run(batch);
        }
        ConvPlan.Strategy = ConvPlan.Parallelism.Auto;
    }

    public static void Run(int batch)
    {
        var cpu = CpuBackend.Instance;
        Console.WriteLine($"Conv2d (cpu, batch {batch}, {Environment.ProcessorCount} threads): ms / GFLOP/s");
        Console.WriteLine("(GF/s = GFLOP per wall second; /cpu = GFLOP per CPU-second of the process, i.e. per busy core)");
        Console.WriteLine($"{"layer",-36} {"GFLOP",6} {"fwd ms",8} {"GF/s",5} {"/cpu",5} {"bwd-data",9} {"GF/s",5} {"/cpu",5} {"bwd-wt",8} {"GF/s",5} {"/cpu",5}");
        double totalMs = 0, totalCpuMs = 0, totalFlops = 0;
        foreach (var (name, c, hw, k, r, stride, pad) in Layers)
        {
            var g = new Conv2dGeometry(batch, c, hw, hw, k, r, r, stride, stride, pad, pad);
            using var scope = TensorScope.Begin();
            var x = Tensor.Full(cpu, 0.5f, batch, c, hw, hw);
            var w = Tensor.Full(cpu, 0.01f, k, c, r, r);
            var bias = Tensor.Zeros(cpu, k);
            var y = Tensor.Empty(cpu, batch, k, g.P, g.Q);
            var dx = x.EmptyLike();
            var dw = w.EmptyLike();
            var fwd = Timing.Best(() => cpu.Conv2dForward(x, w, null, y, g));
            var bwdData = Timing.Best(() => cpu.Conv2dBackwardData(y, w, dx, g));
            var bwdWeight = Timing.Best(() => cpu.Conv2dBackwardWeight(x, y, dw, bias, g));
            double f = g.ForwardFlops;
            totalMs += fwd.WallMs + bwdData.WallMs + bwdWeight.WallMs;
            totalCpuMs += fwd.CpuMs + bwdData.CpuMs + bwdWeight.CpuMs;
            totalFlops += 3 * f;
            string Cell(Timing.Result r, int width) =>
                $"{r.WallMs.ToString("F2").PadLeft(width)} {Timing.GigaFlops(f, r.WallMs),5:F0} {Timing.GigaFlops(f, r.CpuMs),5:F0}";
            Console.WriteLine($"{name,-36} {f / 1e9,6:F2} {Cell(fwd, 8)} {Cell(bwdData, 9)} {Cell(bwdWeight, 8)}");
        }
        Console.WriteLine($"all listed layers, fwd+bwd: {totalFlops / 1e9:F1} GFLOP in {totalMs:F0} ms wall = {Timing.GigaFlops(totalFlops, totalMs):F0} GFLOP/s ({Timing.GigaFlops(totalFlops, totalCpuMs):F0} per CPU-second)");
        Console.WriteLine();
    }
}
