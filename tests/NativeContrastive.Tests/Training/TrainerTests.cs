using NUnit.Framework;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Cli;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// Short real runs on the installed Fashion-MNIST (a few hundred images, the small encoder):
/// files, kNN above chance, the --epochs 0 baseline, exact resume after an interruption,
/// and the checkpoint-of-another-architecture error.
/// </summary>
[NonParallelizable]
public class TrainerTests
{
    private static TrainingConfig Tiny(string method, string outDir, int epochs = 2) => new()
    {
        Method = method,
        Dataset = "fashion-mnist",
        Arch = "small",
        Epochs = epochs,
        BatchSize = 64,
        Limit = 320,
        Lr = method switch { "npid" => 0.01f, "nnclr" or "supcon" => null, _ => 0.05f },
        MethodOptions = method switch
        {
            "npid" => new(StringComparer.Ordinal) { ["negatives"] = "256" },
            // Two-batch queue (used from step 3), prototypes frozen across the epoch boundary (steps 0–6).
            "swav" => new(StringComparer.Ordinal) { ["prototypes"] = "30", ["queue-length"] = "128", ["multi-crop"] = "2x100%,2x50%", ["freeze-prototypes-iters"] = "7" },
            // A 100-row support set: full after two steps, wrapping at a different row every step.
            "nnclr" => new(StringComparer.Ordinal) { ["queue-size"] = "100" },
            _ => new(StringComparer.Ordinal),
        },
        KnnK = 20,
        EvalLimit = 500,
        Out = outDir,
        Seed = 7,
    };

    [SetUp]
    public void NeedsData()
    {
        if (!File.Exists(Path.Combine(DatasetCatalog.FashionMnistDefaultDir, "train-images-idx3-ubyte.gz")))
            Assert.Ignore("Fashion-MNIST is not installed (scripts/setup.sh installs it)");
    }

    /// <summary>Cancels the run after step <paramref name="afterStep"/> of <paramref name="epoch"/>.</summary>
    private sealed class CancelAt(int epoch, int afterStep, CancellationTokenSource cts) : ITrainingObserver
    {
        public int StepsSeen;
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int e, int stepInEpoch, long globalStep, double loss, double lr, double ips)
        {
            StepsSeen++;
            if (e == epoch && stepInEpoch == afterStep) cts.Cancel();
        }
        public void Phase(string what) { }
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
    }

    [TestCase("simclr")]
    [TestCase("npid")]
    public void TrainsWritesTheRunFolderAndBeatsChance(string method)
    {
        using var dir = new TempDir();
        var r = Trainer.Run(Tiny(method, dir.Path));
        var folder = new RunFolder(dir.Path);
        Assert.That(r.Cancelled, Is.False);
        foreach (var f in new[] { folder.ConfigPath, folder.MetricsPath, folder.StepsPath, folder.LastCheckpointPath, folder.EpochCheckpointPath(2), folder.LossPlotPath, folder.KnnPlotPath })
            Assert.That(File.Exists(f), f);
        Assert.That(File.Exists(folder.EpochCheckpointPath(1)), Is.False, "older epoch checkpoints are pruned");
        Assert.That(File.ReadAllLines(folder.MetricsPath), Has.Length.EqualTo(3));
        Assert.That(File.ReadAllLines(folder.StepsPath), Has.Length.EqualTo(1 + 2 * 5));
        Assert.That(r.FinalLoss, Is.Not.Null.And.Matches<double?>(l => double.IsFinite(l!.Value)));
        Assert.That(r.Knn, Is.Not.Null);
        Assert.That(r.Knn!.Top1, Is.GreaterThan(15).And.LessThanOrEqualTo(100), "10 classes: chance is 10%");
        Assert.That(TrainingConfig.Load(folder.ConfigPath).ImageSize, Is.EqualTo(28), "config.json holds resolved values");

        var knn = CliRunner.Run("knn", "--checkpoint", dir.Path, "--limit", "2000", "--k", "20");
        Assert.That(knn.ExitCode, Is.EqualTo(0), knn.Error);
        var m = System.Text.RegularExpressions.Regex.Match(knn.Out, @"^knn k=20 t=0\.1: top1 (\d+\.\d\d)% top5 (\d+\.\d\d)% \(10000 test images, bank 2000\)");
        Assert.That(m.Success, knn.Out);
        Assert.That(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(20));
    }

    [Test]
    public void EpochsZeroWritesTheInitialModelAsABaseline()
    {
        using var dir = new TempDir();
        var r = Trainer.Run(Tiny("simclr", dir.Path, epochs: 0));
        var folder = new RunFolder(dir.Path);
        Assert.That(File.Exists(folder.EpochCheckpointPath(0)) && File.Exists(folder.LastCheckpointPath));
        var ckpt = TrainingCheckpoint.Read(folder.LastCheckpointPath);
        Assert.That((ckpt.Epoch, ckpt.GlobalStep, ckpt.Arch), Is.EqualTo((0, 0L, "small")));
        Assert.That(r.Knn, Is.Not.Null);
        var lines = File.ReadAllLines(folder.MetricsPath);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[1], Does.StartWith("0,NaN,0,"));
    }

    [TestCase("simclr")]
    [TestCase("npid")]
    [TestCase("swav")]
    [TestCase("nnclr")]
    [TestCase("supcon")]
    [TestCase("simclr", 0.9f)]
    public void InterruptedAndResumedRunEqualsTheUninterruptedOneBitForBit(string method, float emaDecay = 0f)
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var straight = Trainer.Run(Tiny(method, a.Path) with { EvalLimit = 50, EmaDecay = emaDecay });

        using var cts = new CancellationTokenSource();
        var observer = new CancelAt(epoch: 2, afterStep: 2, cts);
        var stopped = Trainer.Run(Tiny(method, b.Path) with { EvalLimit = 50, EmaDecay = emaDecay }, observer, cts.Token);
        Assert.That(stopped.Cancelled, Is.True);
        Assert.That(observer.StepsSeen, Is.EqualTo(5 + 2), "stopped right after the step that asked");
        var folder = new RunFolder(b.Path);
        Assert.That(stopped.CheckpointPath, Is.EqualTo(folder.LastCheckpointPath));
        var kept = TrainingCheckpoint.Read(folder.LastCheckpointPath);
        Assert.That((kept.Epoch, kept.GlobalStep), Is.EqualTo((1, 5L)), "the last complete checkpoint is epoch 1");
        Assert.That(File.ReadAllLines(folder.MetricsPath), Has.Length.EqualTo(2));
        Assert.That(File.ReadAllLines(folder.StepsPath), Has.Length.EqualTo(1 + 5), "steps of the unfinished epoch are not recorded");

        var resumed = Trainer.Run(Tiny(method, b.Path) with { EvalLimit = 50, Resume = b.Path, EmaDecay = emaDecay });
        Assert.That(resumed.Cancelled, Is.False);
        Assert.That(resumed.FinalLoss, Is.EqualTo(straight.FinalLoss));

        var x = SafeTensorsFile.Read(Path.Combine(a.Path, "last.safetensors"));
        var y = SafeTensorsFile.Read(Path.Combine(b.Path, "last.safetensors"));
        var names = x.Tensors.Select(t => t.Name).ToArray();
        Assert.That(y.Tensors.Select(t => t.Name), Is.EquivalentTo(names));
        Assert.That(names, Has.Some.StartsWith("optimizer.").And.Some.StartsWith("encoder."));
        if (method == "npid") Assert.That(names, Does.Contain("memory_bank"));
        if (method == "swav")
        {
            Assert.That(names, Does.Contain("swav_queue.0").And.Contain("swav_queue.1").And.Contain("prototypes.weight"));
            Assert.That(y.Metadata["method.swav.queue_filled"], Is.EqualTo(x.Metadata["method.swav.queue_filled"]).And.EqualTo("128"));
            Assert.That(y.Metadata["optimizer.skipped.prototypes.weight"], Is.EqualTo("7"), "the frozen-step count survived the resume");
            Assert.That(File.ReadAllText(Path.Combine(b.Path, "metrics.csv")).Split('\n')[0], Does.EndWith("code_entropy,mean_code_entropy,prototypes_used"));
        }
        if (method == "nnclr")
        {
            Assert.That(names, Does.Contain("nnclr_queue").And.Contain("nnclr_queue_labels"));
            Assert.That(y.Metadata["method.nnclr.queue_next"], Is.EqualTo(x.Metadata["method.nnclr.queue_next"]).And.EqualTo((10 * 64 % 100).ToString()));
        }
        Assert.That(names, Does.Contain("online_probe.fc.weight").And.Contain("online_probe.optimizer.exp_avg.fc.weight"), "the online probe is checkpointed");
        Assert.That(y.Metadata["online_probe.optimizer_step_count"], Is.EqualTo("10"));
        if (emaDecay > 0)
        {
            Assert.That(names, Has.Some.StartsWith("ema.encoder."));
            Assert.That(y.Metadata["ema.updates"], Is.EqualTo("10"), "the ramp's position survived the resume");
            var (ex, ey) = (SafeTensorsFile.Read(Path.Combine(a.Path, "ema.safetensors")), SafeTensorsFile.Read(Path.Combine(b.Path, "ema.safetensors")));
            foreach (var t in ex.Tensors) Assert.That(ey[t.Name].Data, Is.EqualTo(t.Data), "ema.safetensors: " + t.Name);
        }
        foreach (var name in names)
            Assert.That(y[name].Data, Is.EqualTo(x[name].Data), name);
        Assert.That(File.ReadAllText(Path.Combine(b.Path, "steps.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(a.Path, "steps.csv"))));
        // metrics.csv: the same rows apart from the timings (images_per_s, seconds, the time breakdown); the probe's and the method's columns equal.
        int timed = 2 + EpochTimes.Columns.Length;
        string[] Untimed(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l.Split(',')).Select(f => string.Join(",", f.Take(5).Concat(f.Skip(5 + timed)))).ToArray();
        Assert.That(Untimed(b.Path), Is.EqualTo(Untimed(a.Path)));
        Assert.That(File.ReadAllLines(Path.Combine(b.Path, "metrics.csv"))[0], Does.Contain(",seconds,wall_s,").And.Contain(",wall_over_steps,probe_acc"));
    }

    [Test]
    public void EmaDecayMonitorsAndWritesTheAveragedWeightsWhichEvaluateButDoNotResume()
    {
        using var dir = new TempDir();
        var r = Trainer.Run(Tiny("simclr", dir.Path, epochs: 1) with { EvalLimit = 200, EmaDecay = 0.99f });
        var folder = new RunFolder(dir.Path);
        var header = File.ReadAllLines(folder.MetricsPath)[0].Split(',');
        var row = File.ReadAllLines(folder.MetricsPath)[1].Split(',');
        int col = Array.IndexOf(header, "ema_knn_top1");
        Assert.That(col, Is.GreaterThan(0), string.Join(",", header));
        Assert.That(double.Parse(row[col], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(10).And.LessThanOrEqualTo(100));

        var last = SafeTensorsFile.Read(folder.LastCheckpointPath);
        var averaged = SafeTensorsFile.Read(folder.AveragedCheckpointPath("ema"));
        Assert.That(averaged.Metadata[TrainingCheckpoint.WeightsKey], Is.EqualTo("ema"));
        Assert.That(averaged.Tensors.Select(t => t.Name), Has.None.StartsWith("optimizer.").And.None.StartsWith("ema."));
        var encoderNames = averaged.Tensors.Select(t => t.Name).Where(n => n.StartsWith("encoder.", StringComparison.Ordinal)).ToArray();
        Assert.That(encoderNames, Is.Not.Empty);
        foreach (var name in encoderNames)
            Assert.That(averaged[name].Data, Is.EqualTo(last["ema." + name].Data), name + ": the average, under the model's own names");
        Assert.That(encoderNames.Any(n => !last[n].Data.AsSpan().SequenceEqual(averaged[n].Data)), "the average differs from the live weights");

        var knn = CliRunner.Run("knn", "--checkpoint", folder.AveragedCheckpointPath("ema"), "--limit", "500", "--k", "20");
        Assert.That(knn.ExitCode, Is.EqualTo(0), knn.Error);
        var e = Assert.Throws<CheckpointFormatException>(() => Trainer.Run(Tiny("simclr", dir.Path, epochs: 2) with { EmaDecay = 0.99f, Resume = folder.AveragedCheckpointPath("ema") }));
        Assert.That(e!.Message, Does.Contain("ema.safetensors").And.Contain("average of the weights"));
        Assert.That(r.Cancelled, Is.False);
    }

    /// <summary>Reads last.safetensors whenever an epoch's checkpoint is on disk (before the next one replaces it).</summary>
    private sealed class KeepCheckpoints : ITrainingObserver
    {
        public readonly List<SafeTensorsFile> Files = new();
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int e, int stepInEpoch, long globalStep, double loss, double lr, double ips) { }
        public void Phase(string what) { }
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
        public void CheckpointWritten(int epoch, string checkpointPath) => Files.Add(SafeTensorsFile.Read(checkpointPath));
    }

    [Test]
    public void SwaEpochsAverageTheWeightsOfTheLastEpochsWithBatchNormRecomputed()
    {
        using var dir = new TempDir();
        var keep = new KeepCheckpoints();
        Trainer.Run(Tiny("simclr", dir.Path, epochs: 3) with { EvalLimit = 200, SwaEpochs = 2 }, keep);
        var folder = new RunFolder(dir.Path);
        var swa = SafeTensorsFile.Read(folder.AveragedCheckpointPath("swa"));
        Assert.That(swa.Metadata[TrainingCheckpoint.WeightsKey], Is.EqualTo("swa"));
        Assert.That(keep.Files[1].Metadata["swa.updates"], Is.EqualTo("1"));
        Assert.That(keep.Files[2].Metadata["swa.updates"], Is.EqualTo("2"));
        var (e2, e3) = (keep.Files[1], keep.Files[2]);
        foreach (var t in swa.Tensors.Where(t => t.Name.StartsWith("encoder.", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal)))
        {
            float[] a = e2[t.Name].ToFloat32(), b = e3[t.Name].ToFloat32(), mean = t.ToFloat32();
            for (int i = 0; i < mean.Length; i++)
                Assert.That(mean[i], Is.EqualTo((a[i] + b[i]) / 2f).Within(1e-6 + 1e-6 * Math.Abs(a[i])), $"{t.Name}[{i}]: the mean of epochs 2 and 3");
        }
        var means = swa.Tensors.Where(t => t.Name.EndsWith("running_mean", StringComparison.Ordinal)).ToArray();
        Assert.That(means, Is.Not.Empty);
        Assert.That(means.Any(t => !t.ToFloat32().SequenceEqual(e2[t.Name].ToFloat32().Zip(e3[t.Name].ToFloat32(), (x, y) => (x + y) / 2f))),
            "the running statistics are recomputed, not averaged");
        var header = File.ReadAllLines(folder.MetricsPath)[0].Split(',');
        var last = File.ReadAllLines(folder.MetricsPath)[^1].Split(',');
        Assert.That(double.Parse(last[Array.IndexOf(header, "swa_knn_top1")], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(10));
        Assert.That(File.Exists(folder.AveragedCheckpointPath("ema")), Is.False, "no EMA without --ema-decay");
    }

    [Test]
    public void ResumingWithAnotherArchitectureIsOneErrorLine()
    {
        using var dir = new TempDir();
        Trainer.Run(Tiny("simclr", dir.Path, epochs: 0) with { EvalLimit = 50 });
        var r = CliRunner.Run("train", "--resume", dir.Path, "--arch", "resnet18", "--epochs", "1");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain("last.safetensors").And.Contain("resnet18").And.Contain("small"));
    }

    [Test]
    public void TruncatedDataFileIsOneErrorLineNamingTheFile()
    {
        using var dir = new TempDir();
        using var data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, 200, 10, gzip: false);
        string images = Path.Combine(data.Path, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);
        var r = CliRunner.Run("train", "--data", data.Path, "--out", dir.Path, "--epochs", "1", "--batch-size", "16");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain("train-images-idx3-ubyte"));
    }

    [Test]
    public void CtrlCBeforeTheFirstCheckpointExitsWith130AndSaysSo()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = CliRunner.Run(cts.Token, "train", "--limit", "320", "--batch-size", "64", "--out", dir.Path);
        Assert.That(r.ExitCode, Is.EqualTo(130), r.Error);
        Assert.That(r.Error, Does.Contain("interrupted"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "last.safetensors")), Is.False);
    }
}
