using NUnit.Framework;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

public class RunFilesTests
{
    [Test]
    public void AtomicWriteReplacesWholeOrLeavesTheOldFile()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "sub", "f.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[] { 9, 9 });
            throw new InvalidOperationException("disk full (simulated)");
        }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2, 3 }), "a failed write leaves the old content");
        Assert.That(Directory.GetFiles(Path.Combine(dir.Path, "sub")), Is.EqualTo(new[] { path }), "and no temporary file");
    }

    [Test]
    public void MetricsCsvWritesEmptyKnnCellsAndReloadsUpToACheckpoint()
    {
        using var dir = new TempDir();
        var folder = new RunFolder(dir.Path);
        var log = MetricsLog.For(folder);
        log.Add(new EpochMetrics(0, double.NaN, 0, 12.5, 40, 0, 1));
        log.Add(new EpochMetrics(1, 5.25, 0.1, null, null, 300, 10));
        log.Add(new EpochMetrics(2, 4.5, 0.05, 70.25, 97.5, 310, 9.5));
        for (int s = 1; s <= 6; s++) log.Add(new StepMetrics((s + 2) / 3, s, 6 - s * 0.5, 0.1));
        log.Flush();

        var lines = File.ReadAllLines(folder.MetricsPath);
        Assert.That(lines[0], Is.EqualTo("epoch,loss,lr,knn_top1,knn_top5,images_per_s,seconds"));
        Assert.That(lines[2], Is.EqualTo("1,5.25,0.1,,,300.0,10.000"));
        Assert.That(lines[3], Does.StartWith("2,4.5,0.05,70.25,97.5,"));
        Assert.That(File.ReadAllLines(folder.StepsPath), Has.Length.EqualTo(7));

        var again = MetricsLog.For(folder);
        again.LoadUpTo(lastEpoch: 1, lastStep: 3);
        Assert.That(again.Epochs.Select(e => e.Epoch), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(again.Epochs[1].KnnTop1, Is.Null);
        Assert.That(again.Epochs[0].KnnTop1, Is.EqualTo(12.5));
        Assert.That(again.Steps.Select(s => s.Step), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void PlotsArePngFiles()
    {
        using var dir = new TempDir();
        var folder = new RunFolder(dir.Path);
        Plots.Write(folder, [new EpochMetrics(0, double.NaN, 0, 20, 50, 0, 1), new EpochMetrics(1, 5, 0.1, null, null, 1, 1), new EpochMetrics(2, 4, 0.1, 60, 90, 1, 1)], "simclr small");
        foreach (var p in new[] { folder.LossPlotPath, folder.KnnPlotPath })
        {
            var bytes = File.ReadAllBytes(p);
            Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }), p);
            Assert.That(bytes.Length, Is.GreaterThan(5000), "a rendered chart, not an empty image");
        }
    }

    [Test]
    public void CheckpointResolutionAndPruning()
    {
        using var dir = new TempDir();
        var folder = new RunFolder(dir.Path);
        Assert.Throws<FileNotFoundException>(() => RunFolder.ResolveCheckpoint(dir.Path));
        Assert.Throws<FileNotFoundException>(() => RunFolder.ResolveCheckpoint(Path.Combine(dir.Path, "nope.safetensors")));
        foreach (int e in new[] { 1, 2, 10 }) File.WriteAllText(folder.EpochCheckpointPath(e), "x");
        Assert.That(folder.EpochCheckpoints(), Is.EqualTo(new[] { 1, 2, 10 }));
        Assert.That(RunFolder.ResolveCheckpoint(dir.Path), Is.EqualTo(folder.EpochCheckpointPath(10)));
        File.WriteAllText(folder.LastCheckpointPath, "x");
        Assert.That(RunFolder.ResolveCheckpoint(dir.Path), Is.EqualTo(folder.LastCheckpointPath));
        folder.PruneEpochCheckpoints(keep: 10);
        Assert.That(folder.EpochCheckpoints(), Is.EqualTo(new[] { 10 }));
    }
}
