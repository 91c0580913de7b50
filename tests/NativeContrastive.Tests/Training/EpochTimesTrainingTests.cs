using NUnit.Framework;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// The trainer's epoch time breakdown and its background checkpoint writes, on tiny runs: every epoch's row
/// carries times whose parts add up to at most its wall time (knn only where the monitor ran), the checkpoint
/// files are complete when the observer hears so and when the run returns, and a write that fails in the
/// background fails the run naming the file, leaving the previous checkpoint to resume from exactly.
/// </summary>
[NonParallelizable]
public class EpochTimesTrainingTests : TinySessionData
{
    private sealed class Recorder : ITrainingObserver
    {
        public readonly List<EpochMetrics> Rows = new();
        public readonly List<string> Events = new();
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int e, int stepInEpoch, long globalStep, double loss, double lr, double ips) { }
        public void Phase(string what) { }
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath)
        {
            Rows.Add(metrics);
            Events.Add($"epoch {metrics.Epoch}");
        }
        public void CheckpointWritten(int epoch, string checkpointPath)
        {
            Assert.That(TrainingCheckpoint.Read(checkpointPath).Epoch, Is.EqualTo(epoch), "the file is complete when announced");
            Events.Add($"written {epoch}");
        }
    }

    [Test]
    public void EveryEpochReportsItsTimesAndThePartsAddUp()
    {
        using var run = new TempDir();
        var recorder = new Recorder();
        var r = Trainer.Run(TinyConfig("simclr", 5, c => c with { Epochs = 3, EvalEvery = 2, Out = run.Path }), recorder);
        Assert.That(r.Cancelled, Is.False);
        Assert.That(recorder.Rows.Select(m => m.Epoch), Is.EqualTo(new[] { 1, 2, 3 }));
        foreach (var m in recorder.Rows)
        {
            var t = m.Times!;
            Assert.That(t, Is.Not.Null, $"epoch {m.Epoch}");
            Assert.That(new[] { t.Wall, t.Steps, t.DataWait, t.Knn, t.Checkpoint, t.Other }, Has.All.GreaterThanOrEqualTo(0), $"epoch {m.Epoch}");
            Assert.That(t.Steps + t.DataWait + t.Knn + t.Checkpoint, Is.LessThanOrEqualTo(t.Wall + 1e-9), $"epoch {m.Epoch}");
            Assert.That(t.Steps, Is.GreaterThan(0));
            Assert.That(t.Checkpoint, Is.GreaterThan(0), "the snapshot is taken on the training thread");
            Assert.That(t.Knn > 0, Is.EqualTo(m.Epoch >= 2), $"epoch {m.Epoch}: the monitor runs at epochs 2 and 3 only");
        }
        // Each checkpoint is announced after its epoch, and all are on disk before the run returns.
        Assert.That(recorder.Events.Where(e => e.StartsWith("written", StringComparison.Ordinal)), Is.EqualTo(new[] { "written 1", "written 2", "written 3" }));
        foreach (int e in new[] { 1, 2, 3 })
            Assert.That(recorder.Events.IndexOf($"written {e}"), Is.GreaterThan(recorder.Events.IndexOf($"epoch {e}")));

        var folder = new RunFolder(run.Path);
        var lines = File.ReadAllLines(folder.MetricsPath);
        var header = lines[0].Split(',');
        Assert.That(header, Is.SupersetOf(EpochTimes.Columns));
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            foreach (var column in EpochTimes.Columns)
                Assert.That(f[Array.IndexOf(header, column)], Is.Not.Empty, $"{column} in '{line}'");
        }
        Assert.That(File.ReadAllBytes(folder.LastCheckpointPath), Is.EqualTo(File.ReadAllBytes(folder.EpochCheckpointPath(3))));
        Assert.That(Directory.GetFiles(run.Path).Select(Path.GetFileName), Has.None.Contains(".tmp"));
    }

    [Test]
    public void AFailedBackgroundWriteFailsTheRunNamingTheFileAndTheRunResumesExactly()
    {
        using var straight = new TempDir();
        using var failing = new TempDir();
        var config = TinyConfig("simclr", 9, c => c with { Epochs = 2 });
        Trainer.Run(config with { Out = straight.Path });

        // A directory where epoch 2's checkpoint must go: its write fails in the background, after epoch 1's succeeded.
        var folder = new RunFolder(failing.Path);
        Directory.CreateDirectory(folder.EpochCheckpointPath(2));
        var e = Assert.Throws<CheckpointFormatException>(() => Trainer.Run(config with { Out = failing.Path }));
        Assert.That(e!.Message, Does.Contain(folder.EpochCheckpointPath(2)));
        Assert.That(TrainingCheckpoint.Read(folder.LastCheckpointPath).Epoch, Is.EqualTo(1), "the last good checkpoint stays");
        Assert.That(Directory.GetFiles(failing.Path).Select(Path.GetFileName), Has.None.Contains(".tmp").And.None.EqualTo("run.lock"));

        Directory.Delete(folder.EpochCheckpointPath(2));
        var resumed = Trainer.Run(config with { Out = null, Resume = failing.Path });
        Assert.That(resumed.Cancelled, Is.False);
        var x = SafeTensorsFile.Read(Path.Combine(straight.Path, "last.safetensors"));
        var y = SafeTensorsFile.Read(folder.LastCheckpointPath);
        Assert.That(y.Tensors.Select(t => t.Name), Is.EqualTo(x.Tensors.Select(t => t.Name)));
        foreach (var t in x.Tensors) Assert.That(y[t.Name].Data, Is.EqualTo(t.Data), t.Name);
        Assert.That(File.ReadAllText(Path.Combine(failing.Path, "steps.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(straight.Path, "steps.csv"))));
    }
}
