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
/// run.lock                 the pid of the training process while one runs (RunLock)
/// </code>
/// Every file is written with <see cref="AtomicFile"/>, so an interrupted run leaves complete
/// files only; temporary files of killed processes are removed by <see cref="StaleTempFiles"/>.
/// <see cref="Claim"/> and <see cref="ClaimNumbered"/> open a folder for one training process.
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

    /// <summary>True when the folder holds a run: its configuration, metrics or a checkpoint.</summary>
    public bool HoldsRun =>
        File.Exists(ConfigPath) || File.Exists(MetricsPath) || File.Exists(StepsPath) || File.Exists(LastCheckpointPath) || EpochCheckpoints().Count > 0;

    /// <summary>Deletes the files of the run in the folder (--force); other files stay.</summary>
    public void RemoveRunFiles()
    {
        foreach (int n in EpochCheckpoints()) File.Delete(EpochCheckpointPath(n));
        foreach (var f in new[] { LastCheckpointPath, AveragedCheckpointPath(Optim.WeightAverage.ExponentialKind), AveragedCheckpointPath(Optim.WeightAverage.UniformKind),
                                  MetricsPath, StepsPath, LossPlotPath, KnnPlotPath, ConfigPath })
            if (File.Exists(f)) File.Delete(f);
    }

    /// <summary>
    /// Opens <paramref name="directory"/> for a training process: creates it, takes its
    /// <see cref="RunLock"/>, and unless <paramref name="continuing"/> (the folder of the checkpoint
    /// being resumed) refuses a folder that holds another run, or with <paramref name="force"/>
    /// removes that run's files. Throws <see cref="Loop.TrainingException"/> naming the folder.
    /// </summary>
    public static (RunFolder Folder, RunLock Lock, bool Created) Claim(string directory, bool continuing, bool force)
    {
        var folder = new RunFolder(directory);
        if (File.Exists(folder.Directory) || (System.IO.Path.Exists(folder.Directory) && !System.IO.Directory.Exists(folder.Directory)))
            throw new Loop.TrainingException($"--out {directory}: {folder.Directory} is a file, not a run folder.");
        bool created = !System.IO.Directory.Exists(folder.Directory);
        folder.Create();
        var lk = RunLock.Acquire(folder.Directory);
        try
        {
            if (!continuing && folder.HoldsRun)
            {
                if (!force)
                    throw new Loop.TrainingException($"{folder.Directory} holds another run; choose another --out, resume it with --resume {folder.Directory}, or replace it with --force.");
                folder.RemoveRunFiles();
            }
            return (folder, lk, created);
        }
        catch
        {
            lk.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first of <paramref name="parent"/>/&lt;<paramref name="prefix"/>&gt;-001, -002, … that
    /// does not exist or is empty, claimed (created and locked) for a new run.
    /// </summary>
    public static (RunFolder Folder, RunLock Lock, bool Created) ClaimNumbered(string parent, string prefix)
    {
        for (int n = 1; n < 100_000; n++)
        {
            string dir = System.IO.Path.Combine(parent, $"{prefix}-{n:000}");
            if (System.IO.Path.Exists(dir) && !(System.IO.Directory.Exists(dir) && !System.IO.Directory.EnumerateFileSystemEntries(dir).Any())) continue;
            try { return Claim(dir, continuing: false, force: false); }
            catch (Loop.TrainingException) when (System.IO.Directory.Exists(dir)) { } // taken meanwhile by another process
        }
        throw new Loop.TrainingException($"{System.IO.Path.GetFullPath(parent)}: no free {prefix}-NNN run folder; give --out.");
    }

    /// <summary>Removes the folder if this process created it and nothing was written into it.</summary>
    public void RemoveIfEmpty()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory) && !System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
                System.IO.Directory.Delete(Directory);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

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
