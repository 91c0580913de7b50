using System.Diagnostics;
using NUnit.Framework;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// `nc train` and its run folder (issue 10, "runs that never lose work"): --resume continues in the
/// folder it is given wherever it now is, a folder holding another run is refused (--force replaces
/// it, no --out takes the next numbered folder), one process per folder (run.lock), file-system
/// failures are one error line without partial files, stale temporary files of dead processes are
/// removed, and metrics.csv is rebuilt from the checkpoint. Tiny runs: 256 Fashion-MNIST images,
/// 4 steps per epoch, the small encoder, kNN on 100 test images.
/// </summary>
[NonParallelizable]
public class TrainRunFolderTests
{
    private static readonly string[] TinyArgs =
        ["--arch", "small", "--limit", "256", "--batch-size", "64", "--eval-limit", "100", "--knn-k", "20"];

    /// <summary>`nc train` on the tiny budget, one epoch unless <paramref name="args"/> say otherwise.</summary>
    private static CliRunner.Result Train(params string[] args) =>
        CliRunner.Run(["train", .. TinyArgs, .. args.Contains("--epochs") ? [] : new[] { "--epochs", "1" }, .. args]);

    private static void AssertOk(CliRunner.Result r) => Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);

    private static void AssertOneErrorLine(CliRunner.Result r, params string[] mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodesUserError), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: "));
        foreach (var m in mentions) Assert.That(r.ErrorLines[0], Does.Contain(m));
    }

    private const int ExitCodesUserError = 1;

    private static int EpochOf(string dir) => TrainingCheckpoint.Read(new RunFolder(dir).LastCheckpointPath).Epoch;

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    /// <summary>The id of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    /// <summary>Another process that stays alive until disposed.</summary>
    private sealed class LiveProcess : IDisposable
    {
        private readonly Process p = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        public int Id => p.Id;
        public void Dispose() { try { p.Kill(); p.WaitForExit(); } catch (InvalidOperationException) { } p.Dispose(); }
    }

    [SetUp]
    public void NeedsData()
    {
        if (!File.Exists(Path.Combine(DatasetCatalog.FashionMnistDefaultDir, "train-images-idx3-ubyte.gz")))
            Assert.Ignore("Fashion-MNIST is not installed (scripts/setup.sh installs it)");
    }

    // ---- 1. --resume DIR continues in DIR -------------------------------------------------

    [Test]
    public void ResumeOfACopiedRunFolderContinuesInTheCopyAndLeavesTheOriginal()
    {
        using var root = new TempDir();
        string a = Path.Combine(root.Path, "a"), b = Path.Combine(root.Path, "b");
        AssertOk(Train("--out", a));
        CopyDirectory(a, b);
        var original = Snapshot(a);

        AssertOk(CliRunner.Run("train", "--resume", b, "--epochs", "2"));
        Assert.That(EpochOf(b), Is.EqualTo(2), "the copy continued");
        Assert.That(File.ReadAllLines(Path.Combine(b, "metrics.csv")), Has.Length.EqualTo(3));
        Assert.That(Path.GetFullPath(TrainingConfig.Load(Path.Combine(b, "config.json")).Out!), Is.EqualTo(Path.GetFullPath(b)));
        var after = Snapshot(a);
        Assert.That(after.Keys, Is.EquivalentTo(original.Keys), "the original folder gained or lost no file");
        foreach (var (name, bytes) in original) Assert.That(after[name], Is.EqualTo(bytes), $"{name} of the original run is untouched");
    }

    [Test]
    public void ResumeOfAMovedRunFolderContinuesWhereItIsNow()
    {
        using var root = new TempDir();
        string a = Path.Combine(root.Path, "a"), c = Path.Combine(root.Path, "moved", "c");
        AssertOk(Train("--out", a));
        Directory.CreateDirectory(Path.GetDirectoryName(c)!);
        Directory.Move(a, c);

        AssertOk(CliRunner.Run("train", "--resume", c, "--epochs", "2"));
        Assert.That(EpochOf(c), Is.EqualTo(2));
        Assert.That(Directory.Exists(a), Is.False, "the old location is not recreated");
    }

    // ---- 2. a folder holding another run ------------------------------------------------------

    [Test]
    public void TrainIntoAFolderHoldingAnotherRunIsRefusedNamingIt()
    {
        using var root = new TempDir();
        string a = Path.Combine(root.Path, "a");
        AssertOk(Train("--out", a));
        var before = Snapshot(a);

        var r = Train("--out", a, "--seed", "3");
        AssertOneErrorLine(r, Path.GetFullPath(a), "--force");
        var after = Snapshot(a);
        Assert.That(after.Keys, Is.EquivalentTo(before.Keys));
        foreach (var (name, bytes) in before) Assert.That(after[name], Is.EqualTo(bytes), name);
    }

    [Test]
    public void ForceReplacesTheRunInTheFolder()
    {
        using var root = new TempDir();
        string a = Path.Combine(root.Path, "a");
        AssertOk(Train("--out", a));
        Assert.That(File.Exists(Path.Combine(a, "epoch-1.safetensors")));

        AssertOk(Train("--out", a, "--force", "--epochs", "0"));
        Assert.That(EpochOf(a), Is.EqualTo(0));
        Assert.That(File.Exists(Path.Combine(a, "epoch-1.safetensors")), Is.False, "the old run's checkpoints are gone");
        Assert.That(File.ReadAllLines(Path.Combine(a, "metrics.csv")), Has.Length.EqualTo(2), "and its metrics");
        Assert.That(File.ReadAllLines(Path.Combine(a, "steps.csv")), Has.Length.EqualTo(1));
    }

    [Test]
    public void WithoutOutEachRunGetsTheNextNumberedFolder()
    {
        using var root = new TempDir();
        string cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = root.Path;
            var first = Train("--epochs", "0");
            AssertOk(first);
            var second = Train("--epochs", "0", "--method", "supcon");
            AssertOk(second);
            var third = Train("--epochs", "0");
            AssertOk(third);
            foreach (var n in new[] { "simclr-001", "supcon-001", "simclr-002" })
                Assert.That(File.Exists(Path.Combine(root.Path, "runs", n, "last.safetensors")), n);
            Assert.That(third.Out, Does.Contain(Path.Combine("runs", "simclr-002", "last.safetensors")));
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
    }

    // ---- 3. one process per run folder ------------------------------------------------------

    /// <summary>Holds the first training step until released.</summary>
    private sealed class HoldFirstStep : ITrainingObserver
    {
        public readonly ManualResetEventSlim Holding = new(), Release = new();
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int e, int stepInEpoch, long globalStep, double loss, double lr, double ips)
        {
            if (Holding.IsSet) return;
            Holding.Set();
            Release.Wait(TimeSpan.FromMinutes(2));
        }
        public void Phase(string what) { }
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
    }

    [Test]
    public void SecondTrainingOnTheSameFolderStopsNamingTheHolderPid()
    {
        using var root = new TempDir();
        string d = Path.Combine(root.Path, "run");
        var config = new TrainingConfig
        {
            Arch = "small", Limit = 256, BatchSize = 64, Epochs = 1, EvalLimit = 100, KnnK = 20, Out = d,
        };
        var hold = new HoldFirstStep();
        TrainingResult? first = null;
        Exception? failed = null;
        var thread = new Thread(() =>
        {
            try { first = Trainer.Run(config, hold); }
            catch (Exception e) { failed = e; }
        });
        thread.Start();
        try
        {
            Assert.That(hold.Holding.Wait(TimeSpan.FromMinutes(2)), "the first run started");
            var second = Train("--out", d);
            AssertOneErrorLine(second, Path.GetFullPath(d), Environment.ProcessId.ToString());
        }
        finally
        {
            hold.Release.Set();
            thread.Join();
        }
        Assert.That(failed, Is.Null, failed?.ToString());
        Assert.That(first!.Cancelled, Is.False);
        Assert.That(EpochOf(d), Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(d, "run.lock")), Is.False, "released on exit");
    }

    [Test]
    public void LockOfAnotherLiveProcessIsRefusedNamingItsPid()
    {
        using var root = new TempDir();
        using var other = new LiveProcess();
        string d = root.Sub("run");
        File.WriteAllText(Path.Combine(d, "run.lock"), other.Id + "\n");
        var r = Train("--out", d);
        AssertOneErrorLine(r, Path.GetFullPath(d), other.Id.ToString());
        Assert.That(File.Exists(Path.Combine(d, "config.json")), Is.False, "nothing written");
        Assert.That(File.ReadAllText(Path.Combine(d, "run.lock")).Trim(), Is.EqualTo(other.Id.ToString()), "the holder keeps its lock");
    }

    [Test]
    public void StaleLockOfADeadProcessIsTakenOverAndReleased()
    {
        using var root = new TempDir();
        string d = root.Sub("run");
        File.WriteAllText(Path.Combine(d, "run.lock"), DeadPid() + "\n");
        AssertOk(Train("--out", d));
        Assert.That(EpochOf(d), Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(d, "run.lock")), Is.False);
    }

    // ---- 6. file-system failures: one line, no partial files ------------------------------------

    [Test]
    public void OutNamingAnExistingFileIsOneErrorLine()
    {
        using var root = new TempDir();
        string f = Path.Combine(root.Path, "notes.txt");
        File.WriteAllText(f, "mine");
        AssertOneErrorLine(Train("--out", f), f);
        Assert.That(File.ReadAllText(f), Is.EqualTo("mine"));
        AssertOneErrorLine(Train("--out", "/dev/null"), "/dev/null");
    }

    [Test]
    public void FailingToReplaceTheLastCheckpointIsOneErrorLineAndLeavesNoPartialFile()
    {
        using var root = new TempDir();
        string d = root.Sub("run");
        // A directory where last.safetensors must go: the write fails as on a full disk, after the epoch checkpoint.
        Directory.CreateDirectory(Path.Combine(d, "last.safetensors"));
        var r = Train("--out", d);
        AssertOneErrorLine(r, "last.safetensors");
        var names = Directory.GetFiles(d).Select(Path.GetFileName).ToArray();
        Assert.That(names, Has.None.EndsWith(".copy").And.None.Contains(".tmp"), string.Join(", ", names));
        Assert.That(File.Exists(Path.Combine(d, "run.lock")), Is.False);
    }

    // ---- 7. stale temporary files, metrics rebuilt from the checkpoint ------------------------------

    [Test]
    public void StaleTempFilesOfDeadProcessesAreRemovedOnStartAndOnResume()
    {
        using var root = new TempDir();
        using var other = new LiveProcess();
        int dead = DeadPid();

        string fresh = root.Sub("fresh");
        string staleFresh = Path.Combine(fresh, $"last.safetensors.tmp-{dead}");
        File.WriteAllBytes(staleFresh, new byte[1000]);
        AssertOk(Train("--out", fresh));
        Assert.That(File.Exists(staleFresh), Is.False, "removed on start");

        string[] stale = [Path.Combine(fresh, $"epoch-1.safetensors.tmp-{dead}"), Path.Combine(fresh, $".metrics.csv.{dead}.{Guid.NewGuid():N}.tmp")];
        string live = Path.Combine(fresh, $"last.safetensors.tmp-{other.Id}");
        foreach (var f in stale.Append(live)) File.WriteAllBytes(f, new byte[1000]);
        AssertOk(CliRunner.Run("train", "--resume", fresh, "--epochs", "2"));
        foreach (var f in stale) Assert.That(File.Exists(f), Is.False, $"{f} removed on resume");
        Assert.That(File.Exists(live), "a live process's temporary file stays");
    }

    [Test]
    public void ResumeRebuildsMetricsFromTheCheckpointWhenTheCsvFilesFellBehind()
    {
        using var root = new TempDir();
        string d = Path.Combine(root.Path, "run");
        AssertOk(Train("--out", d));
        var folder = new RunFolder(d);
        var metrics = File.ReadAllLines(folder.MetricsPath);
        var steps = File.ReadAllLines(folder.StepsPath);
        Assert.That((metrics.Length, steps.Length), Is.EqualTo((2, 5)));
        // Killed after the checkpoint was written, before metrics.csv and steps.csv were.
        File.WriteAllText(folder.MetricsPath, metrics[0] + "\n");
        File.Delete(folder.StepsPath);

        AssertOk(CliRunner.Run("train", "--resume", d, "--epochs", "2"));
        var rebuilt = File.ReadAllLines(folder.MetricsPath);
        Assert.That(rebuilt, Has.Length.EqualTo(3));
        // Epoch 1's row comes back from the checkpoint, taken before the kNN monitor: the same row without its kNN cells
        // and without the epoch's time breakdown (known only once the epoch is over).
        var f = metrics[1].Split(',');
        f[3] = f[4] = "";
        for (int i = 0; i < EpochTimes.Columns.Length; i++) f[7 + i] = "";
        Assert.That(rebuilt[1], Is.EqualTo(string.Join(",", f)));
        var rebuiltSteps = File.ReadAllLines(folder.StepsPath);
        Assert.That(rebuiltSteps, Has.Length.EqualTo(1 + 8));
        Assert.That(rebuiltSteps.Take(5), Is.EqualTo(steps));
    }
}
