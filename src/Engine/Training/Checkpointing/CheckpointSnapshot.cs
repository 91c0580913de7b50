using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Engine.Training.Checkpointing;

/// <summary>
/// An epoch's checkpoint files as host copies: <see cref="Take"/> copies every tensor off the device
/// at the checkpoint point (on the training thread, the only part that needs the device), and
/// <see cref="Write"/> serialises and writes them later, on any thread, while training goes on
/// changing the weights: the snapshot owns its bytes. The files are those the trainer always wrote —
/// epoch-N.safetensors, ema/swa.safetensors for the averages that hold any, last.safetensors with the
/// same bytes as epoch-N — each through a temp file and a rename, then older epoch checkpoints are
/// removed. Byte for byte what <see cref="TrainingCheckpoint.Write"/> writes for the same state.
/// </summary>
public sealed class CheckpointSnapshot
{
    private readonly SafeTensorsFile checkpoint;
    private readonly IReadOnlyList<(string Kind, SafeTensorsFile File)> averaged;

    private CheckpointSnapshot(int epoch, SafeTensorsFile checkpoint, IReadOnlyList<(string, SafeTensorsFile)> averaged)
    {
        Epoch = epoch;
        this.checkpoint = checkpoint;
        this.averaged = averaged;
    }

    public int Epoch { get; }

    /// <summary>Copies the state of epoch <paramref name="epoch"/> to the host (what <see cref="TrainingCheckpoint.Write"/> and <see cref="TrainingCheckpoint.WriteAveraged"/> would write now).</summary>
    public static CheckpointSnapshot Take(int epoch, ContrastiveMethod method, Optimizer optimizer, IReadOnlyDictionary<string, string> metadata,
        OnlineProbe? probe, IReadOnlyList<WeightAverage> averages)
    {
        var file = TrainingCheckpoint.Snapshot(method, optimizer, metadata, probe, averages);
        var files = averages.Where(a => a.Updates > 0).Select(a => (a.Kind, TrainingCheckpoint.SnapshotAveraged(method, a, metadata))).ToList();
        return new CheckpointSnapshot(epoch, file, files);
    }

    /// <summary>Writes the files into <paramref name="folder"/> (see the class); a failure names the file it could not write.</summary>
    public void Write(RunFolder folder)
    {
        var bytes = checkpoint.ToBytes();
        SafeTensorsFile.WriteBytes(folder.EpochCheckpointPath(Epoch), bytes);
        foreach (var (kind, file) in averaged) file.Write(folder.AveragedCheckpointPath(kind));
        // last.safetensors from the bytes in hand rather than a copy of the file just written: no read back.
        SafeTensorsFile.WriteBytes(folder.LastCheckpointPath, bytes);
        folder.PruneEpochCheckpoints(keep: Epoch);
    }
}
