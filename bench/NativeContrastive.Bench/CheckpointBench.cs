using System.Diagnostics;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Methods.SimClr;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Bench;

/// <summary>
/// What an epoch's checkpoint costs the training thread, before and after the background writer:
/// SimCLR on a ResNet-18 (cifar stem) + projector with Adam state (the size of a real run's file).
/// "synchronous" is the old path (<see cref="TrainingCheckpoint.Write"/> of epoch-N, then last.safetensors
/// as a copy of it); "snapshot" is what the trainer now does on its thread (<see cref="CheckpointSnapshot.Take"/>:
/// the device→host copies); "background write" is <see cref="CheckpointSnapshot.Write"/>, which overlaps
/// the next steps. Prints milliseconds (best of a few runs); asserts nothing.
/// </summary>
public static class CheckpointBench
{
    public static void Run(string arch)
    {
        var cpu = CpuBackend.Instance;
        var init = new RandomStream(0, StreamId.Of(StreamId.Init));
        var encoder = ModelFactory.CreateEncoder(arch, 3, cpu, init);
        var projector = ModelFactory.CreateProjectionHead(encoder.FeatureDim, encoder.FeatureDim, 128, cpu, init);
        using var method = new SimClrMethod(encoder, projector, new SimClrOptions());
        using var opt = OptimizerFactory.Create("adam", method.NamedParameters(), new OptimizerOptions { Momentum = 0.9f });
        var meta = new Dictionary<string, string> { [TrainingCheckpoint.FormatKey] = TrainingCheckpoint.FormatValue, ["bench"] = "checkpoint" };
        string dir = Path.Combine(Path.GetTempPath(), "nc-bench-checkpoint-" + Guid.NewGuid().ToString("N"));
        var folder = new RunFolder(dir);
        folder.Create();
        try
        {
            var sync = Timing.Best(() =>
            {
                TrainingCheckpoint.Write(folder.EpochCheckpointPath(1), method, opt, meta);
                AtomicFile.Copy(folder.EpochCheckpointPath(1), folder.LastCheckpointPath);
            });
            CheckpointSnapshot? snapshot = null;
            var take = Timing.Best(() => snapshot = CheckpointSnapshot.Take(1, method, opt, meta, null, []));
            var write = Timing.Best(() => snapshot!.Write(folder));
            double mb = new FileInfo(folder.LastCheckpointPath).Length / 1e6;
            Console.WriteLine($"checkpoint: simclr {arch} + adam, {mb:F1} MB per file (epoch-N and last.safetensors), {Environment.ProcessorCount} cores");
            Console.WriteLine($"  synchronous write (before):        {sync.WallMs,8:F1} ms on the training thread");
            Console.WriteLine($"  snapshot (after, training thread): {take.WallMs,8:F1} ms");
            Console.WriteLine($"  background write (after, overlaps):{write.WallMs,8:F1} ms");
            Console.WriteLine();
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
