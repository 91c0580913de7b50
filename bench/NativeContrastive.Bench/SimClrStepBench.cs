using NativeContrastive.Engine.Methods.SimClr;
using System.Diagnostics;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Bench;

/// <summary>
/// One SimCLR training step on the cpu device as the trainer runs it: ResNet-18 (CIFAR stem)
/// + projection head (512-512-128, BN) on both views of <c>batch</c> images of 3×32×32
/// (2·batch images through the encoder), NT-Xent (τ = 0.5) over the 2·batch projections,
/// backward, LARS. The views are fixed random tensors: augmentation runs on the loader's
/// prefetch thread in training and is not part of the step. Reports images/s (samples, each
/// seen as two views) and views/s over <c>steps</c> steps after one warm-up step.
/// </summary>
public static class SimClrStepBench
{
    public static void Run(int batch, int steps)
    {
        var cpu = CpuBackend.Instance;
        var init = new RandomStream(0, StreamId.Of(StreamId.Init));
        var encoder = ModelFactory.CreateEncoder("resnet18", 3, cpu, init);
        var projector = ModelFactory.CreateProjectionHead(encoder.FeatureDim, encoder.FeatureDim, 128, cpu, init);
        using var method = new SimClrMethod(encoder, projector, new SimClrOptions());
        using var opt = OptimizerFactory.Create("lars", method.NamedParameters(), new OptimizerOptions { Momentum = 0.9f, WeightDecay = 1e-6f });
        var rng = new RandomStream(1, StreamId.Of(StreamId.Misc));
        var views = new float[2][];
        for (int v = 0; v < 2; v++)
        {
            views[v] = new float[batch * 3 * 32 * 32];
            for (int i = 0; i < views[v].Length; i++) views[v][i] = rng.NextGaussian();
        }
        int[] indices = Enumerable.Range(0, batch).ToArray();

        float Step()
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            using var b = new TrainingBatch([Tensor.FromArray(cpu, views[0], batch, 3, 32, 32), Tensor.FromArray(cpu, views[1], batch, 3, 32, 32)], indices, new int[batch]);
            var loss = method.Loss(b);
            Tape.Backward(loss);
            opt.Step(0.3f);
            method.AfterOptimizerStep(b);
            return loss.Item();
        }

        Console.WriteLine($"simclr-step: SimCLR, ResNet-18 (cifar stem) + projector 512-512-128, batch {batch} (x2 views), 3x32x32, NT-Xent + bwd + LARS, {steps} steps after 1 warm-up");
        Step();
        var sw = Stopwatch.StartNew();
        float last = 0;
        for (int s = 0; s < steps; s++) last = Step();
        double ms = sw.Elapsed.TotalMilliseconds / steps;
        Console.WriteLine($"  {ms:F0} ms/step, {batch * 1000.0 / ms:F1} images/s ({2 * batch * 1000.0 / ms:F1} views/s), last loss {last:G4}");
        Console.WriteLine();
    }
}
