using System.Diagnostics;
using NativeContrastive.Engine;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Bench;

/// <summary>
/// Views per second of the training loader: an epoch of two-view batches through
/// <see cref="DataLoader"/> (prefetch on, as the trainer runs it) up to a
/// <see cref="TrainingBatch"/> on the backend, with no training step consuming them. Reported
/// as wall-clock views/s and views per CPU-second (the machine may be shared; the second
/// figure, times the core count, is what idle cores would give).
/// </summary>
public static class AugmentBench
{
    public static void Run(string device, int batch, double seconds = 3)
    {
        var backend = Devices.Create(device);
        Console.WriteLine($"augment: loader → TrainingBatch on {backend.Name}, batch {batch}, 2 views, prefetch on");
        var fashion = Directory.Exists(DatasetCatalog.FashionMnistDefaultDir)
            ? DatasetCatalog.Load("fashion-mnist", null, DataSplit.Train, 30000)
            : Synthetic(30000, 1, 28);
        Loader(backend, fashion, $"{fashion.Name} SimCLR 1×28×28", AugmentationConfig.SimClr(28, 1, normalization: fashion.Normalization), batch, seconds);
        Loader(backend, fashion, $"{fashion.Name} NPID   1×28×28", AugmentationConfig.Npid(28, 1, fashion.Normalization), batch, seconds);
        var rgb32 = Synthetic(8192, 3, 32);
        Loader(backend, rgb32, "synthetic SimCLR 3×32×32", AugmentationConfig.SimClr(32, 3), batch, seconds);
        var rgb96 = Synthetic(1024, 3, 96);
        Loader(backend, rgb96, "synthetic SimCLR 3×96×96 + blur", AugmentationConfig.SimClr(96, 3), batch, seconds);
    }

    private static ImageDataset Synthetic(int n, int c, int side)
    {
        var pixels = new byte[(long)n * c * side * side];
        new Random(1).NextBytes(pixels);
        return new ImageDataset("synthetic", c, side, side, pixels, new int[n], ["x"]);
    }

    private static void Loader(IBackend backend, ImageDataset ds, string what, AugmentationConfig cfg, int batch, double seconds)
    {
        cfg = cfg with { Seed = 1 };
        using var data = new ResidentDataset(ds, backend);
        var loader = new DataLoader(data, BatchSampler.ForTraining(ds.Count, batch, 1), [cfg, cfg]);
        long views = 0;
        void Epochs(double limit, bool count)
        {
            var sw = Stopwatch.StartNew();
            for (int epoch = 0; sw.Elapsed.TotalSeconds < limit; epoch++)
                foreach (var lb in loader.Epoch(epoch))
                {
                    using (var scope = TensorScope.Begin())
                    using (var b = TrainingBatch.FromLoader(lb))
                        if (count) views += 2L * b.Size;
                    if (sw.Elapsed.TotalSeconds >= limit) break;
                }
        }
        Epochs(1, false); // warm-up: JIT, pools
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        Epochs(seconds, true);
        double s = wall.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine($"  {what,-36} {views / s,9:F0} views/s wall   {views / cpu,9:F0} views per CPU-second   ({views} views, {s:F1} s, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }
}
