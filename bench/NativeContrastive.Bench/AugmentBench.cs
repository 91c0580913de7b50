using System.Diagnostics;
using NativeContrastive.Engine;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Bench;

/// <summary>
/// Views per second of augmentation on <c>--device cpu|emu|cuda</c>: epochs of two-view batches
/// through <see cref="DataLoader"/> (as the trainer runs it: prefetch on the cpu, the augment
/// kernel on a device) up to a <see cref="TrainingBatch"/>, with no training step consuming them.
/// On emu also the kernel through its launcher alone (host draws and records, upload of the
/// records, launch). Then the host's share of a device's augmentation: drawing and packing the
/// records. Reported as wall-clock views/s and views
/// per CPU-second (the machine may be shared; the second figure, times the core count, is what
/// idle cores would give).
/// </summary>
public static class AugmentBench
{
    private sealed record Case(string What, ImageDataset Data, AugmentationConfig Config);

    public static void Run(string device, int batch, double seconds = 3)
    {
        var fashion = Directory.Exists(DatasetCatalog.FashionMnistDefaultDir)
            ? DatasetCatalog.Load("fashion-mnist", null, DataSplit.Train, 30000)
            : Synthetic(30000, 1, 28);
        var rgb32 = Synthetic(8192, 3, 32);
        var rgb96 = Synthetic(1024, 3, 96);
        Case[] cases =
        [
            new($"{fashion.Name} SimCLR 1×28×28", fashion, AugmentationConfig.SimClr(28, 1, normalization: fashion.Normalization)),
            new($"{fashion.Name} NPID   1×28×28", fashion, AugmentationConfig.Npid(28, 1, fashion.Normalization)),
            new("synthetic SimCLR 3×32×32", rgb32, AugmentationConfig.SimClr(32, 3)),
            new("synthetic SimCLR 3×96×96 + blur", rgb96, AugmentationConfig.SimClr(96, 3)),
        ];
        var backend = Devices.Create(device);
        Console.WriteLine($"augment: loader → TrainingBatch on {backend.Name}, batch {batch}, 2 views{(backend.ComputesOnHost ? ", prefetch on" : "")}");
        foreach (var c in cases) Loader(backend, c, batch, seconds);
        if (backend is DeviceBackend { Driver: EmuDriver emu })
        {
            Console.WriteLine($"augment: augment_forward_kernel through AugmentKernels alone (no backend), batch {batch}");
            foreach (var c in cases) Emulated(emu, c, batch, seconds);
        }
        Console.WriteLine("host share of a device's augmentation: draws + records per view (one thread)");
        foreach (var c in cases) HostRecords(c, batch, seconds);
    }

    private static ImageDataset Synthetic(int n, int c, int side)
    {
        var pixels = new byte[(long)n * c * side * side];
        new Random(1).NextBytes(pixels);
        return new ImageDataset("synthetic", c, side, side, pixels, new int[n], ["x"]);
    }

    /// <summary>Runs <paramref name="batches"/> (returning views made) for a warm-up second, then for <paramref name="seconds"/>, and prints the rates.</summary>
    private static void Measure(string what, double seconds, Func<double, long> batches)
    {
        batches(1); // warm-up: JIT, pools
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long views = batches(seconds);
        double s = wall.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine($"  {what,-36} {views / s,9:F0} views/s wall   {views / cpu,9:F0} views per CPU-second   ({views} views, {s:F1} s, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    private static void Loader(IBackend backend, Case c, int batch, double seconds)
    {
        var cfg = c.Config with { Seed = 1 };
        using var data = new ResidentDataset(c.Data, backend);
        var loader = new DataLoader(data, BatchSampler.ForTraining(c.Data.Count, batch, 1), [cfg, cfg]);
        Measure(c.What, seconds, limit =>
        {
            long views = 0;
            var sw = Stopwatch.StartNew();
            for (int epoch = 0; sw.Elapsed.TotalSeconds < limit; epoch++)
                foreach (var lb in loader.Epoch(epoch))
                {
                    using (var scope = TensorScope.Begin())
                    using (var b = TrainingBatch.FromLoader(lb))
                        views += 2L * b.Size;
                    if (sw.Elapsed.TotalSeconds >= limit) break;
                }
            backend.Synchronize(); // a device's launches are asynchronous: count finished views
            return views;
        });
    }

    private static void Emulated(EmuDriver emu, Case c, int batch, double seconds)
    {
        var cfg = c.Config with { Seed = 1 };
        var ds = c.Data;
        var sampler = BatchSampler.ForTraining(ds.Count, batch, 1);
        var kernels = new AugmentKernels(emu);
        using var images = DeviceBuffer.From(emu, ds.Pixels);
        using var output = DeviceBuffer.Allocate<float>(emu, (long)batch * ds.Channels * cfg.OutputSize * cfg.OutputSize);
        Measure(c.What, seconds, limit =>
        {
            long views = 0;
            var sw = Stopwatch.StartNew();
            for (int epoch = 0; sw.Elapsed.TotalSeconds < limit; epoch++)
                foreach (var b in sampler.Batches(epoch))
                {
                    var draws = AugmentationDraws.ForBatch(cfg, ds.Height, ds.Width, epoch, b, 0);
                    using var records = DeviceBuffer.From(emu, AugmentViewRecords.Pack(cfg, ds.Channels, b, draws));
                    kernels.AugmentViews(images, ds.Count, ds.Channels, ds.Height, ds.Width, records, b.Count, cfg.OutputSize,
                        AugmentViewRecords.BlurTaps(cfg), output);
                    views += b.Count;
                    if (sw.Elapsed.TotalSeconds >= limit) break;
                }
            emu.Synchronize();
            return views;
        });
    }

    private static void HostRecords(Case c, int batch, double seconds)
    {
        var cfg = c.Config with { Seed = 1 };
        var ds = c.Data;
        var sampler = BatchSampler.ForTraining(ds.Count, batch, 1);
        Measure(c.What, seconds, limit =>
        {
            long views = 0;
            var sw = Stopwatch.StartNew();
            for (int epoch = 0; sw.Elapsed.TotalSeconds < limit; epoch++)
                foreach (var b in sampler.Batches(epoch))
                {
                    var draws = AugmentationDraws.ForBatch(cfg, ds.Height, ds.Width, epoch, b, 0);
                    views += AugmentViewRecords.Pack(cfg, ds.Channels, b, draws).Length;
                    if (sw.Elapsed.TotalSeconds >= limit) break;
                }
            return views;
        });
    }
}
