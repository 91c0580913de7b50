using System.Diagnostics;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

/// <summary>
/// The installed Fashion-MNIST (Debian's dataset-fashion-mnist). Skipped where it is absent.
/// The throughput figures are [Explicit]: run them with --filter "TestCategory=DataBenchmark".
/// </summary>
public class FashionMnistRealDataTests
{
    private static ImageDataset Load(DataSplit split, int? limit = null)
    {
        if (!Directory.Exists(DatasetCatalog.FashionMnistDefaultDir)) Assert.Ignore($"{DatasetCatalog.FashionMnistDefaultDir} not installed");
        return DatasetCatalog.Load("fashion-mnist", null, split, limit);
    }

    [Test]
    public void LoadsTheInstalledCopy()
    {
        var sw = Stopwatch.StartNew();
        var train = Load(DataSplit.Train);
        var test = Load(DataSplit.Test);
        TestContext.Out.WriteLine($"fashion-mnist: train {train.Count}, test {test.Count}, {train.Channels}×{train.Height}×{train.Width}, first label {train.Labels[0]} ({train.ClassNames[train.Labels[0]]}), loaded in {sw.ElapsedMilliseconds} ms");
        Assert.That((train.Count, test.Count), Is.EqualTo((60000, 10000)));
        Assert.That((train.Channels, train.Height, train.Width), Is.EqualTo((1, 28, 28)));
        Assert.That(train.Labels[0], Is.EqualTo(9));
        Assert.That(train.Labels.GroupBy(l => l).Select(g => g.Count()), Is.All.EqualTo(6000));
        Assert.That(test.Labels.GroupBy(l => l).Select(g => g.Count()), Is.All.EqualTo(1000));
        // The catalog's statistics are the training set's own (to the published 4 digits).
        var own = Normalization.Compute(train);
        Assert.That(own.Mean[0], Is.EqualTo(0.2860f).Within(5e-4));
        Assert.That(own.Std[0], Is.EqualTo(0.3530f).Within(5e-4));
    }

    [Test, Explicit("benchmark"), Category("DataBenchmark")]
    public void AugmentationThroughput()
    {
        var train = Load(DataSplit.Train);
        var stats = train.Normalization;
        // The first runs also pay for tiered JIT (slow to reach optimised code on a busy machine):
        // NPID → SimCLR → NPID shows how much of a difference is warm-up.
        Report(train, "fashion-mnist NPID   28×28×1", AugmentationConfig.Npid(28, 1, stats));
        Report(train, "fashion-mnist SimCLR 28×28×1", AugmentationConfig.SimClr(28, 1, normalization: stats));
        Report(train, "fashion-mnist NPID   28×28×1 (again)", AugmentationConfig.Npid(28, 1, stats));
        Report(train, "fashion-mnist SimCLR 28×28×1 (again)", AugmentationConfig.SimClr(28, 1, normalization: stats));
        Report(train, "fashion-mnist eval   28×28×1", AugmentationConfig.Eval(28, stats));
        var rgb32 = Synthetic(4096, 32);
        Report(rgb32, "synthetic SimCLR 32×32×3 (CIFAR-sized)", AugmentationConfig.SimClr(32, 3));
        var rgb96 = Synthetic(1024, 96);
        Report(rgb96, "synthetic SimCLR 96×96×3 + blur (STL-sized)", AugmentationConfig.SimClr(96, 3));
    }

    [Test, Explicit("benchmark"), Category("DataBenchmark")]
    public void PrefetchEffect()
    {
        var train = Load(DataSplit.Train, limit: 256 * 40);
        var cfg = AugmentationConfig.SimClr(28, 1, normalization: train.Normalization) with { Seed = 1 };
        var sampler = BatchSampler.ForTraining(train.Count, 256, 1);
        using var data = new ResidentDataset(train, CpuBackend.Instance);
        foreach (var consumer in new[] { "none", "gpu-like wait 5 ms", "cpu spin 5 ms (1 thread)" })
            foreach (bool prefetch in new[] { false, true })
            {
                var loader = new DataLoader(data, sampler, [cfg, cfg], prefetch);
                foreach (var _ in loader.Epoch(0).Take(20)) { } // warm-up (tiered JIT)
                var sw = Stopwatch.StartNew();
                int batches = 0;
                foreach (var b in loader.Epoch(1))
                {
                    batches++;
                    if (consumer.StartsWith("gpu")) Thread.Sleep(5);
                    else if (consumer.StartsWith("cpu")) { var t = Stopwatch.StartNew(); while (t.Elapsed.TotalMilliseconds < 5) { } }
                }
                double s = sw.Elapsed.TotalSeconds;
                TestContext.Out.WriteLine($"consumer {consumer,-26} prefetch {prefetch,-5}: {batches / s,7:F1} batches/s ({2 * 256 * batches / s,8:F0} views/s), {1000 * s / batches:F2} ms/batch");
            }
    }

    private static ImageDataset Synthetic(int n, int side) =>
        new("synthetic", 3, side, side, DatasetWriters.Images(n, 3, side, side), new int[n], ["x"]);

    private static void Report(ImageDataset ds, string what, AugmentationConfig cfg)
    {
        const int batch = 256;
        using var data = new ResidentDataset(ds, CpuBackend.Instance);
        var sampler = BatchSampler.ForTraining(ds.Count, batch, 3);
        // Warm-up long enough for tiered JIT to reach optimised code (it lags on a busy machine).
        for (var w = Stopwatch.StartNew(); w.Elapsed.TotalSeconds < 1;) data.Augment(sampler.Order(0).AsSpan(0, batch), cfg, 0, 0).Dispose();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long views = 0;
        for (int epoch = 0; sw.Elapsed.TotalSeconds < 2; epoch++)
            foreach (var b in sampler.Batches(epoch))
            {
                data.Augment(b, cfg, epoch, 0).Dispose();
                views += b.Count;
                if (sw.Elapsed.TotalSeconds >= 2) break;
            }
        double s = sw.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        // Wall-clock rate depends on what else runs on the machine; views per CPU-second does not
        // (much), and times the core count gives the rate on idle cores.
        TestContext.Out.WriteLine($"{what}: {views / s:F0} views/s wall on {CpuBackend.Instance.MaxAugmentParallelism} threads, {views / cpu:F0} views per CPU-second ({views} views, {s:F2} s wall, {cpu:F2} s CPU, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }
}
