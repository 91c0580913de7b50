using NUnit.Framework;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// <see cref="CheckpointSnapshot"/>: files written later from a snapshot, after training went on changing the
/// weights, are byte for byte what the synchronous <see cref="TrainingCheckpoint.Write"/> writes at the snapshot's
/// moment (the snapshot owns its bytes), for the checkpoint, last.safetensors and the averaged weights.
/// </summary>
public class CheckpointSnapshotTests : TinySessionData
{
    [TestCase("simclr")]
    [TestCase("npid")]
    public void FilesWrittenLaterAreByteIdenticalToTheSynchronousWrite(string method)
    {
        var config = TinyConfig(method, 3, c => c with { EmaDecay = 0.9f });
        using var session = TrainingSession.Create(config, CpuBackend.Instance, prefetch: false);
        using var run = new TempDir();
        var folder = new RunFolder(run.Path);
        var batches = session.Loader.Epoch(0).GetEnumerator();
        void TrainOneStep(long step)
        {
            Assert.That(batches.MoveNext());
            session.Step.Run(batches.Current, step, 1, (int)step + 1);
            session.Step.Drain();
        }
        TrainOneStep(0);   // the EMA holds an update, so ema.safetensors is written too

        var meta = TrainingCheckpoint.Metadata(session.Config, session.Method, session.Optimizer, session.Train.Channels, 1, 1,
            session.StepsPerEpoch, session.Probe, session.Averages);
        string sync = Path.Combine(run.Path, "sync.safetensors"), syncEma = Path.Combine(run.Path, "sync-ema.safetensors");
        TrainingCheckpoint.Write(sync, session.Method, session.Optimizer, meta, session.Probe, session.Averages);
        TrainingCheckpoint.WriteAveraged(syncEma, session.Method, session.Ema!, meta);
        var snapshot = CheckpointSnapshot.Take(1, session.Method, session.Optimizer, meta, session.Probe, session.Averages);

        // Training goes on: the weights, the optimiser state and the average all change before the write.
        TrainOneStep(1);
        TrainOneStep(2);
        string moved = Path.Combine(run.Path, "now.safetensors");
        TrainingCheckpoint.Write(moved, session.Method, session.Optimizer, meta, session.Probe, session.Averages);
        Assert.That(File.ReadAllBytes(moved), Is.Not.EqualTo(File.ReadAllBytes(sync)), "the steps changed the state");

        File.WriteAllBytes(folder.EpochCheckpointPath(0), [1, 2, 3]);   // an older epoch checkpoint, pruned by the write
        snapshot.Write(folder);
        byte[] expected = File.ReadAllBytes(sync);
        Assert.That(File.ReadAllBytes(folder.EpochCheckpointPath(1)), Is.EqualTo(expected), "epoch-1.safetensors");
        Assert.That(File.ReadAllBytes(folder.LastCheckpointPath), Is.EqualTo(expected), "last.safetensors");
        Assert.That(File.ReadAllBytes(folder.AveragedCheckpointPath("ema")), Is.EqualTo(File.ReadAllBytes(syncEma)), "ema.safetensors");
        Assert.That(folder.EpochCheckpoints(), Is.EqualTo(new[] { 1 }));
        Assert.That(Directory.GetFiles(run.Path).Select(Path.GetFileName), Has.None.Contains(".tmp"));
    }

    [Test]
    public void AFailedWriteNamesTheFileAndLeavesNoTemporaryFile()
    {
        var config = TinyConfig("simclr", 3);
        using var session = TrainingSession.Create(config, CpuBackend.Instance, prefetch: false);
        using var run = new TempDir();
        var folder = new RunFolder(run.Path);
        var meta = TrainingCheckpoint.Metadata(session.Config, session.Method, session.Optimizer, session.Train.Channels, 2, 0,
            session.StepsPerEpoch, session.Probe, session.Averages);
        var snapshot = CheckpointSnapshot.Take(2, session.Method, session.Optimizer, meta, session.Probe, session.Averages);
        Directory.CreateDirectory(folder.EpochCheckpointPath(2));   // a directory where the file must go
        var e = Assert.Throws<Engine.Checkpoints.CheckpointFormatException>(() => snapshot.Write(folder));
        Assert.That(e!.Message, Does.Contain(folder.EpochCheckpointPath(2)));
        Assert.That(File.Exists(folder.LastCheckpointPath), Is.False, "nothing after the failed file");
        Assert.That(Directory.GetFiles(run.Path), Is.Empty, "no temporary file left");
    }
}
