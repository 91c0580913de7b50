using NUnit.Framework;
using NativeContrastive.Engine.Training.Loop;
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
        Assert.That(lines[0], Is.EqualTo("epoch,loss,lr,knn_top1,knn_top5,images_per_s,seconds,wall_s,step_s,data_wait_s,knn_s,checkpoint_s,other_s,wall_over_steps"));
        Assert.That(lines[2], Is.EqualTo("1,5.25,0.1,,,300.0,10.000,,,,,,,"), "a row without times has empty time cells");
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

    [Test]
    public void TemporaryFileNamesCarryTheirWritersPid()
    {
        Assert.That(StaleTempFiles.OwnerPid("epoch-3.safetensors.tmp-1234"), Is.EqualTo(1234));
        Assert.That(StaleTempFiles.OwnerPid($".metrics.csv.55.{Guid.NewGuid():N}.tmp"), Is.EqualTo(55));
        Assert.That(StaleTempFiles.OwnerPid("metrics.csv"), Is.Null);
        Assert.That(StaleTempFiles.OwnerPid("epoch-3.safetensors"), Is.Null);

        // AtomicFile's own temporary file is recognised as this process's while it is being written.
        using var dir = new TempDir();
        int? seen = null;
        AtomicFile.Write(Path.Combine(dir.Path, "f.csv"), s =>
        {
            s.WriteByte(1);
            seen = Directory.GetFiles(dir.Path).Select(f => StaleTempFiles.OwnerPid(Path.GetFileName(f))).Single();
            Assert.That(StaleTempFiles.Remove(dir.Path), Is.Empty, "a live process's temporary file stays");
        });
        Assert.That(seen, Is.EqualTo(Environment.ProcessId));
    }

    [Test]
    public void RestoredMetricsFollowTheCheckpointAndTakeALaterKnnResultOfTheSameRow()
    {
        using var dir = new TempDir();
        var folder = new RunFolder(dir.Path);
        var log = MetricsLog.For(folder, ["probe_acc"]);
        log.Add(new EpochMetrics(1, 5.25, 0.1, null, null, 300, 10, new Dictionary<string, double> { ["probe_acc"] = 40 }));
        log.Add(new EpochMetrics(2, 4.5, 0.05, null, null, 310, 9.5, new Dictionary<string, double> { ["probe_acc"] = 50 }));
        for (int s = 1; s <= 4; s++) log.Add(new StepMetrics((s + 1) / 2, s, 6 - s * 0.5, 0.1));
        string epochCsv = log.EpochCsv(), stepsCsv = log.StepsCsv();
        // On disk: epoch 2 with its kNN result (written after the checkpoint), epoch 1 of another run with kNN, an epoch 3 the checkpoint lacks.
        log.ReplaceLast(log.Epochs[^1] with { KnnTop1 = 70.5, KnnTop5 = 97, Times = new EpochTimes(12, 9, 0.5, 2, 0.25) });
        var other = MetricsLog.For(folder, ["probe_acc"]);
        other.Add(new EpochMetrics(1, 5.5, 0.1, 11, 22, 300, 10));
        other.Add(log.Epochs[1]);
        other.Add(new EpochMetrics(3, 4, 0.01, 80, 99, 300, 10));
        other.Flush();

        var restored = MetricsLog.For(folder, ["probe_acc"]);
        restored.Restore(epochCsv, stepsCsv, "ckpt");
        Assert.That(restored.Epochs.Select(e => (e.Epoch, e.KnnTop1)), Is.EqualTo(new (int, double?)[] { (1, null), (2, 70.5) }));
        Assert.That(restored.Epochs[1].KnnTop5, Is.EqualTo(97));
        Assert.That(restored.Epochs[1].Times, Is.EqualTo(new EpochTimes(12, 9, 0.5, 2, 0.25)), "the epoch's times, complete only after the checkpoint, come from disk too");
        Assert.That(restored.Epochs[0].Times, Is.Null, "epoch 1 on disk is another run's");
        Assert.That(restored.Epochs[0].Extra!["probe_acc"], Is.EqualTo(40));
        Assert.That(restored.Steps.Select(s => s.Step), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void RunLockIsExclusiveAndStaleLocksAreTakenOver()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, RunLock.FileName);
        using (var held = RunLock.Acquire(dir.Path))
        {
            Assert.That(File.ReadAllText(path).Trim(), Is.EqualTo(Environment.ProcessId.ToString()));
            var e = Assert.Throws<NativeContrastive.Engine.Training.Loop.TrainingException>(() => RunLock.Acquire(dir.Path))!;
            Assert.That(e.Message, Does.Contain(dir.Path).And.Contain($"pid {Environment.ProcessId}"));
        }
        Assert.That(File.Exists(path), Is.False, "released");

        File.WriteAllText(path, "2147483646\n");   // no such process
        using (RunLock.Acquire(dir.Path))
            Assert.That(File.ReadAllText(path).Trim(), Is.EqualTo(Environment.ProcessId.ToString()));
    }
}
