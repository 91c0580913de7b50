using System.Globalization;
using NUnit.Framework;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// `nc linear` end to end on a tiny Fashion-MNIST-format set: the run folder (config.json,
/// metrics.csv, classifier.safetensors), any method's checkpoint, training that fits separable
/// features, determinism, label smoothing, the emulated device, and bad options.
/// </summary>
[NonParallelizable]
public class LinearCommandTests
{
    private static TempDir data = null!, simclr = null!, npid = null!;

    [OneTimeSetUp]
    public void TrainTwoRuns()
    {
        data = new TempDir();
        ClassPatterns(data.Path, trainCount: 60, testCount: 40);
        simclr = new TempDir();
        npid = new TempDir();
        foreach (var (method, dir) in new[] { ("simclr", simclr), ("npid", npid) })
        {
            var r = CliRunner.Run("train", "--method", method, "--data", data.Path, "--out", dir.Path, "--epochs", "1", "--batch-size", "20",
                "--limit", "60", "--image-size", "12", "--knn-k", "5", "--seed", "4");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        }
    }

    /// <summary>
    /// A Fashion-MNIST layout set whose classes look different: class c is a bright 7×7 block at
    /// one of ten places of a 28×28 image, over noise; labels i % 10.
    /// </summary>
    public static void ClassPatterns(string dir, int trainCount, int testCount)
    {
        var rng = new Random(17);
        foreach (var (prefix, n) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var labels = DatasetWriters.Labels(n, 10);
            var images = DatasetWriters.IdxImages(n, 28, 28);
            for (int i = 0; i < n; i++)
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                    {
                        int c = labels[i], top = 2 + 12 * (c / 5), left = 1 + 5 * (c % 5);
                        bool lit = y >= top && y < top + 7 && x >= left && x < left + 7;
                        images[16 + i * 784 + y * 28 + x] = (byte)(lit ? 200 + rng.Next(56) : rng.Next(60));
                    }
            DatasetWriters.Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), images, gzip: true);
            DatasetWriters.Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), DatasetWriters.IdxLabels(labels), gzip: true);
        }
    }

    [OneTimeTearDown]
    public void Remove()
    {
        data.Dispose();
        simclr.Dispose();
        npid.Dispose();
    }

    [Test]
    public void WritesItsRunFolderAndFitsSeparableFeatures()
    {
        using var out_ = new TempDir();
        var r = CliRunner.Run("linear", "--checkpoint", simclr.Path, "--epochs", "60", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16", "--out", out_.Path);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.OutLines[^1], Does.Match(@"^linear: simclr small fashion-mnist, \d+-d features, 60 epochs adam lr 0\.01: test top1 \d+\.\d\d% top5 \d+\.\d\d% \(40 test images, 60 train\), "));
        var config = LinearProbeConfig.FromJson(File.ReadAllText(Path.Combine(out_.Path, "config.json")));
        Assert.That(config.Epochs, Is.EqualTo(60));
        Assert.That(config.Seed, Is.EqualTo(4UL), "the run's seed");
        Assert.That(config.Checkpoint, Does.EndWith("last.safetensors"));
        var rows = File.ReadAllLines(Path.Combine(out_.Path, "metrics.csv"));
        Assert.That(rows[0], Is.EqualTo(LinearProbe.MetricsHeader));
        Assert.That(rows, Has.Length.EqualTo(61));
        var last = rows[^1].Split(',');
        // Ten visibly different classes: the classifier fits the training features and generalises.
        Assert.That(double.Parse(last[3], CultureInfo.InvariantCulture), Is.EqualTo(1.0), "train top1");
        Assert.That(double.Parse(last[4], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(0.9), "test top1");
        Assert.That(double.Parse(last[1], CultureInfo.InvariantCulture), Is.LessThan(double.Parse(rows[1].Split(',')[1], CultureInfo.InvariantCulture)), "loss decreased");
        var file = SafeTensorsFile.Read(Path.Combine(out_.Path, LinearProbe.ClassifierFileName));
        Assert.That(file.Metadata["format"], Is.EqualTo(LinearProbe.FormatValue));
        int dim = int.Parse(file.Metadata["feature_dim"], CultureInfo.InvariantCulture);
        Assert.That(file["fc.weight"].Shape, Is.EqualTo(new[] { 10, dim }));
        Assert.That(file["fc.bias"].Shape, Is.EqualTo(new[] { 10 }));
        Assert.That(file["feature_mean"].Shape, Is.EqualTo(new[] { dim }));
        Assert.That(file["feature_std"].Shape, Is.EqualTo(new[] { dim }));
        Assert.That(double.Parse(file.Metadata["test_top1"], CultureInfo.InvariantCulture), Is.EqualTo(double.Parse(last[4], CultureInfo.InvariantCulture)));
    }

    [Test]
    public void AnyMethodsCheckpointDefaultFolderAndDeterminism()
    {
        var a = CliRunner.Run("linear", "--checkpoint", npid.Path, "--epochs", "3", "--label-smoothing", "0.1", "--feature-norm", "l2");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Error);
        string folder = Path.Combine(npid.Path, "linear");
        var first = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
        Assert.That(a.OutLines[^1], Does.StartWith("linear: npid small fashion-mnist"));
        var b = CliRunner.Run("linear", "--checkpoint", npid.Path, "--epochs", "3", "--label-smoothing", "0.1", "--feature-norm", "l2");
        Assert.That(b.ExitCode, Is.EqualTo(0), b.Error);
        var second = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
        static string NoTime(string row) => string.Join(",", row.Split(',')[..^1]);
        Assert.That(second.Select(NoTime), Is.EqualTo(first.Select(NoTime)), "same seed, same numbers");
        Assert.That(SafeTensorsFile.Read(Path.Combine(folder, LinearProbe.ClassifierFileName)).Contains("feature_mean"), Is.False, "l2: no statistics");
        var plain = CliRunner.Run("linear", "--checkpoint", npid.Path, "--epochs", "3", "--feature-norm", "l2", "--out", Path.Combine(folder, "plain"));
        Assert.That(File.ReadAllLines(Path.Combine(folder, "plain", "metrics.csv"))[1].Split(',')[1], Is.Not.EqualTo(first[1].Split(',')[1]),
            "label smoothing changes the loss");
    }

    [Test]
    public void EmuMatchesCpu()
    {
        using var cpu = new TempDir();
        using var emu = new TempDir();
        var c = CliRunner.Run("linear", "--checkpoint", simclr.Path, "--epochs", "2", "--out", cpu.Path, "--device", "cpu");
        var e = CliRunner.Run("linear", "--checkpoint", simclr.Path, "--epochs", "2", "--out", emu.Path, "--device", "emu");
        Assert.That(e.ExitCode, Is.EqualTo(0), e.Error);
        var cr = File.ReadAllLines(Path.Combine(cpu.Path, "metrics.csv"))[^1].Split(',');
        var er = File.ReadAllLines(Path.Combine(emu.Path, "metrics.csv"))[^1].Split(',');
        Assert.That(double.Parse(er[1], CultureInfo.InvariantCulture), Is.EqualTo(double.Parse(cr[1], CultureInfo.InvariantCulture)).Within(1e-3), "loss");
        Assert.That(double.Parse(er[4], CultureInfo.InvariantCulture), Is.EqualTo(double.Parse(cr[4], CultureInfo.InvariantCulture)).Within(0.026), "test top1 (one image may flip)");
    }

    [Test]
    public void BadOptionsAreUsageOrUserErrors()
    {
        Assert.That(CliRunner.Run("linear", "--checkpoint", simclr.Path, "--optimizer", "lars").ExitCode, Is.EqualTo(2));
        Assert.That(CliRunner.Run("linear", "--checkpoint", simclr.Path, "--label-smoothing", "1").ExitCode, Is.EqualTo(2));
        var missing = CliRunner.Run("linear", "--checkpoint", "/nonexistent");
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.ErrorLines, Has.Length.EqualTo(1));
    }

    [Test]
    public void AFolderInUseByAnotherProcessIsOneErrorLineNamingItsPid()
    {
        using var dir = new TempDir();
        // A live pid holds the folder (this test process): the probe must not write into it.
        File.WriteAllText(Path.Combine(dir.Path, Engine.Training.Runs.RunLock.FileName), Environment.ProcessId + "\n");
        var r = CliRunner.Run("linear", "--checkpoint", simclr.Path, "--epochs", "1", "--out", dir.Path);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Out);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.Error, Does.Contain(dir.Path).And.Contain($"pid {Environment.ProcessId}"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "metrics.csv")), Is.False, "nothing written");
        var ok = CliRunner.Run("linear", "--checkpoint", simclr.Path, "--epochs", "1", "--out", Path.Combine(dir.Path, "free"));
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.Error);
        Assert.That(File.Exists(Path.Combine(dir.Path, "free", Engine.Training.Runs.RunLock.FileName)), Is.False, "the lock is released at the end");
    }
}
