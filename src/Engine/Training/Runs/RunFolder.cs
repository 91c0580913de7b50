using NativeContrastive.Engine.Training.Configuration;
namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// The files of one run under its directory:
/// <code>
/// config.json              the resolved TrainingConfig
/// metrics.csv, steps.csv   per epoch / per optimiser step (see MetricsLog)
/// loss.png, knn.png        plots of the epoch metrics
/// epoch-N.safetensors      the checkpoint after epoch N (only the latest is kept)
/// last.safetensors         the same bytes as the latest epoch checkpoint
/// </code>
/// Every file is written with <see cref="AtomicFile"/>, so an interrupted run leaves complete
/// files only.
/// </summary>
public sealed class RunFolder
{
    public const string CheckpointExtension = ".safetensors";

    public RunFolder(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new ArgumentException("run folder: the directory name is empty.");
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "config.json");
    public string MetricsPath => Path.Combine(Directory, "metrics.csv");
    public string StepsPath => Path.Combine(Directory, "steps.csv");
    public string LossPlotPath => Path.Combine(Directory, "loss.png");
    public string KnnPlotPath => Path.Combine(Directory, "knn.png");
    public string LastCheckpointPath => Path.Combine(Directory, "last" + CheckpointExtension);

    /// <summary>Averaged weights of the last epoch (ema: --ema-decay, swa: --swa-epochs), a checkpoint for evaluation.</summary>
    public string AveragedCheckpointPath(string kind) => Path.Combine(Directory, kind + CheckpointExtension);

    public string EpochCheckpointPath(int epoch) => Path.Combine(Directory, $"epoch-{epoch}{CheckpointExtension}");

    public void Create() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>Epoch numbers of the epoch-N checkpoints present, ascending.</summary>
    public IReadOnlyList<int> EpochCheckpoints()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var found = new List<int>();
        foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "epoch-*" + CheckpointExtension))
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            if (int.TryParse(stem.AsSpan("epoch-".Length), System.Globalization.NumberStyles.None, null, out int n)) found.Add(n);
        }
        found.Sort();
        return found;
    }

    /// <summary>Deletes every epoch-N checkpoint except epoch <paramref name="keep"/>.</summary>
    public void PruneEpochCheckpoints(int keep)
    {
        foreach (int n in EpochCheckpoints())
            if (n != keep) File.Delete(EpochCheckpointPath(n));
    }

    /// <summary>
    /// The checkpoint named by --resume or --checkpoint: a file as given, or a run folder's
    /// last.safetensors. Throws FileNotFoundException naming what was looked for.
    /// </summary>
    public static string ResolveCheckpoint(string dirOrFile)
    {
        if (File.Exists(dirOrFile)) return Path.GetFullPath(dirOrFile);
        if (System.IO.Directory.Exists(dirOrFile))
        {
            var folder = new RunFolder(dirOrFile);
            if (File.Exists(folder.LastCheckpointPath)) return folder.LastCheckpointPath;
            var epochs = folder.EpochCheckpoints();
            if (epochs.Count > 0) return folder.EpochCheckpointPath(epochs[^1]);
            throw new FileNotFoundException($"{folder.LastCheckpointPath}: no checkpoint in run folder {folder.Directory}.", folder.LastCheckpointPath);
        }
        throw new FileNotFoundException($"{dirOrFile}: checkpoint not found (neither a file nor a run folder).", dirOrFile);
    }
}
