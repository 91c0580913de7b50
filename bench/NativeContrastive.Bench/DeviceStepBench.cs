using System.Diagnostics;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Bench;

/// <summary>
/// Seconds per SimCLR training step on one device (cpu, emu or cuda) for a tiny configuration, as
/// the trainer runs it: small encoder (width 128, batch norm) + projection head 128-128-128 on both
/// views of <c>batch</c> images of 3×16×16, NT-Xent, backward, Adam; method and optimiser built by
/// RunComponents. On emu the launches are timed per kernel (they run synchronously there) and the
/// rest of the step (autograd, host code) is the remainder.
/// </summary>
public static class DeviceStepBench
{
    public static void Run(string device, int batch, int steps)
    {
        IBackend backend;
        ProfilingDriver? timing = null;
        if (device == "emu")
        {
            EmuBuild.EnsureBuilt("release");
            timing = new ProfilingDriver(new EmuDriver());
            backend = new DeviceBackend(timing, "emu");
        }
        else backend = Devices.Create(device);

        var config = new TrainingConfig { Method = "simclr", Arch = "small", Seed = 1, Optimizer = "adam", Lr = 1e-3f }.Resolve();
        using var method = RunComponents.CreateMethod(config, 3, batch, backend);
        using var optimizer = RunComponents.CreateOptimizer(config, method.NamedParameters());
        var rng = new RandomStream(1, StreamId.Of(StreamId.Misc));
        var views = new float[2][];
        for (int v = 0; v < 2; v++)
        {
            views[v] = new float[batch * 3 * 16 * 16];
            for (int i = 0; i < views[v].Length; i++) views[v][i] = rng.NextGaussian();
        }
        int[] indices = Enumerable.Range(0, batch).ToArray();

        float Step()
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            using var b = new TrainingBatch([Tensor.FromArray(backend, views[0], batch, 3, 16, 16), Tensor.FromArray(backend, views[1], batch, 3, 16, 16)],
                indices, new int[batch]);
            var loss = method.Loss(b);
            Tape.Backward(loss);
            optimizer.Step(1e-3f);
            method.AfterOptimizerStep(b);
            return loss.Item();
        }

        Console.WriteLine($"device-step: SimCLR, small encoder (width 128) + projector 128-128-128, batch {batch} (x2 views), 3x16x16, Adam, on {device}; {steps} steps after 1 warm-up");
        Step();
        timing?.Reset();
        var sw = Stopwatch.StartNew();
        float last = 0;
        double best = double.MaxValue;
        for (int s = 0; s < steps; s++)
        {
            long t = Stopwatch.GetTimestamp();
            last = Step();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        double ms = sw.Elapsed.TotalMilliseconds / steps;
        Console.WriteLine($"  {ms / 1000:F3} s/step mean, {best / 1000:F3} s best ({batch * 1000.0 / ms:F1} images/s), last loss {last:G6}");
        if (timing is not null)
        {
            var report = timing.Snapshot();
            var kernels = report.Entries.Where(e => e.Kind == ProfileEntryKind.Kernel).ToList();
            double kernelMs = kernels.Sum(k => k.TotalMs) / steps, copyMs = report.Entries.Where(e => e.Kind == ProfileEntryKind.Copy).Sum(e => e.TotalMs) / steps;
            long launches = kernels.Sum(k => k.Calls) / steps;
            Console.WriteLine($"  per step: {launches} launches, {kernelMs:F1} ms in kernels, {copyMs:F1} ms in copies, {ms - kernelMs - copyMs:F1} ms rest (autograd, host code)");
            foreach (var k in kernels.OrderByDescending(k => k.TotalMs).Take(12))
                Console.WriteLine($"    {k.Name,-60} {k.Calls / steps,4} launches {k.TotalMs / steps,8:F2} ms");
        }
        Console.WriteLine();
    }
}
