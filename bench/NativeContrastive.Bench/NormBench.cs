using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Bench;

/// <summary>
/// Batch norm (training forward with fused ReLU, backward) on ResNet-18 CIFAR activations at
/// batch 64. Memory-bound: reported as GB/s of tensor traffic (forward reads x twice for the
/// two-pass statistics and writes y; backward reads x, dy, y twice and writes dx).
/// </summary>
public static class NormBench
{
    public static void Run(int batch)
    {
        var cpu = CpuBackend.Instance;
        Console.WriteLine($"BatchNorm2d + ReLU (cpu, batch {batch})");
        Console.WriteLine($"{"activation",-22} {"fwd ms",8} {"GB/s",6} {"bwd ms",8} {"GB/s",6}");
        foreach (var (c, hw) in new[] { (64, 32), (128, 16), (256, 8), (512, 4) })
        {
            using var scope = TensorScope.Begin();
            int n = batch, plane = hw * hw;
            var x = Tensor.FromArray(cpu, Enumerable.Range(0, n * c * plane).Select(i => (float)Math.Sin(i)).ToArray(), n, c, hw, hw);
            var dy = Tensor.Full(cpu, 0.5f, n, c, hw, hw);
            var y = x.EmptyLike();
            var dx = x.EmptyLike();
            var gamma = Tensor.Full(cpu, 1f, c);
            var beta = Tensor.Zeros(cpu, c);
            Tensor mean = Tensor.Empty(cpu, c), invStd = Tensor.Empty(cpu, c), rm = Tensor.Zeros(cpu, c), rv = Tensor.Full(cpu, 1f, c);
            Tensor dg = Tensor.Empty(cpu, c), db = Tensor.Empty(cpu, c);
            var fwd = Timing.Best(() => cpu.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd, rm, rv, n, c, plane, 0.1f, 1e-5f, relu: true));
            var bwd = Timing.Best(() => cpu.BatchNormBackward(x, dy, y, gamma, mean, invStd, dx, dg, db, n, c, plane));
            double bytes = 4.0 * x.Length;
            Console.WriteLine($"{$"[{n},{c},{hw},{hw}]",-22} {fwd.WallMs,8:F2} {3 * bytes / (fwd.WallMs * 1e6),6:F1} {bwd.WallMs,8:F2} {7 * bytes / (bwd.WallMs * 1e6),6:F1}");
        }
        Console.WriteLine();
    }
}
