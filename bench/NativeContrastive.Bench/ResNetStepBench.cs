using System.Diagnostics;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Bench;

/// <summary>
/// One training step of ResNet-18 with the CIFAR stem on [batch, 3, 32, 32]: forward,
/// loss = mean of the features squared, backward, SGD (momentum 0.9, wd 5e-4) — the whole
/// engine path a method's step takes, minus its loss. Reports ms per step and images/s
/// over <c>steps</c> steps after one warm-up step (JIT, pools). With <c>profile</c> it then
/// runs the same steps again with <see cref="CpuProfile"/> on and prints ms per step for each
/// primitive (the timed steps above are not slowed by the accounting).
/// </summary>
public static class ResNetStepBench
{
    public static void Run(int batch, int steps, bool profile = false)
    {
        var cpu = CpuBackend.Instance;
        using var model = ModelFactory.CreateEncoder("resnet18", 3, cpu, new RandomStream(0, StreamId.Of(StreamId.Init)));
        using var opt = new Sgd(model.NamedParameters().ToList(), momentum: 0.9f, weightDecay: 5e-4f);
        var rng = new RandomStream(1, StreamId.Of(StreamId.Misc));
        var images = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextGaussian();

        float Step()
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            var x = Tensor.FromArray(cpu, images, batch, 3, 32, 32);
            var y = model.Forward(x);
            var loss = Ops.Mean(Ops.Mul(y, y));
            Tape.Backward(loss);
            opt.Step(0.01f);
            return loss.Item();
        }

        Console.WriteLine($"resnet-step: ResNet-18 (cifar stem), batch {batch}, 3x32x32, fwd + mean(f²) + bwd + SGD, {steps} steps after 1 warm-up");
        Step();
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        float last = 0;
        for (int s = 0; s < steps; s++) last = Step();
        double ms = sw.Elapsed.TotalMilliseconds / steps;
        proc.Refresh();
        double cpuMs = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / steps;
        Console.WriteLine($"  {ms:F0} ms/step wall ({cpuMs:F0} ms CPU), {batch * 1000.0 / ms:F1} images/s, last loss {last:G4}");
        if (profile) PrintProfile(Step, steps);
        Console.WriteLine();
    }

    private static void PrintProfile(Func<float> step, int steps)
    {
        CpuProfile.Reset();
        CpuProfile.Enabled = true;
        var sw = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) step();
        double total = sw.Elapsed.TotalMilliseconds / steps;
        CpuProfile.Enabled = false;
        var rows = CpuProfile.Snapshot().Entries;
        double accounted = rows.Where(r => !r.Nested).Sum(r => r.TotalMs) / steps;
        Console.WriteLine($"  profile (ms per step, {steps} steps; '▸' rows are inside their parent and sum thread time):");
        foreach (var r in rows)
            Console.WriteLine($"    {r.Name,-32} {r.TotalMs / steps,8:F1} ms  {100 * r.TotalMs / steps / total,5:F1}%  {r.Calls / steps,5} calls");
        Console.WriteLine($"    {"(outside the backend)",-32} {total - accounted,8:F1} ms  {100 * (total - accounted) / total,5:F1}%");
        Console.WriteLine($"    {"step total",-32} {total,8:F1} ms");
    }
}
