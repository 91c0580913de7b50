using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Cli;

/// <summary>`nc eval` end to end on a tiny Fashion-MNIST-format data set: SimCLR and NPID checkpoints, files, table, errors.</summary>
[NonParallelizable]
public class EvalCommandTests
{
    private static TempDir data = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 60, testCount: 40);
    }

    [OneTimeTearDown]
    public void RemoveData() => data.Dispose();

    private static string Train(TempDir run, string method, int epochs, params string[] extra)
    {
        var r = CliRunner.Run(["train", "--method", method, "--data", data.Path, "--out", run.Path, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
            "--batch-size", "20", "--limit", "60", "--image-size", "12", "--knn-k", "5", "--seed", "2", .. extra]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        return run.Path;
    }

    [TestCase("simclr", 1)]
    [TestCase("npid", 1)]
    [TestCase("simclr", 0)]
    public void ScoresBothEmbeddingsAndWritesTheFiles(string method, int epochs)
    {
        using var run = new TempDir();
        Train(run, method, epochs);
        var r = CliRunner.Run("eval", "--checkpoint", run.Path, "--tsne-samples", "30", "--perplexity", "5");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.OutLines[0], Does.StartWith($"eval: {method} small epoch {epochs} on fashion-mnist: 40 test images (10 classes)").And.Contain("kNN bank 60 train images, k=5 t=0.1"));
        Assert.That(r.OutLines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "embedding", "dim", "knn", "top1", "knn", "top5", "P@1", "R-prec", "mAP@R", "NMI", "AMI" }));
        Assert.That(r.OutLines[3], Does.Match(@"^encoder\s+\d+\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d\d%\s+-?\d\.\d{4}\s+-?\d\.\d{4}$"));
        Assert.That(r.OutLines[4], Does.StartWith("head "));
        Assert.That(r.OutLines[5], Does.StartWith("wrote ").And.Contain("metrics.json").And.Contain("eval.csv").And.Contain("tsne-encoder.png").And.Contain("tsne-head.png"));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Path, "metrics.json")))!;
        Assert.That((string)json["method"]!, Is.EqualTo(method));
        Assert.That((int)json["test_images"]!, Is.EqualTo(40));
        Assert.That((int)json["epoch"]!, Is.EqualTo(epochs));
        foreach (var e in new[] { "encoder", "head" })
        {
            var m = json["embeddings"]![e]!;
            foreach (var key in new[] { "knn_top1", "knn_top5", "precision_at_1", "r_precision", "map_at_r", "nmi" })
                Assert.That((double)m[key]!, Is.InRange(0.0, 1.0), $"{e}.{key}");
            Assert.That((double)m["ami"]!, Is.InRange(-1.0, 1.0));
            Assert.That((double)m["knn_top5"]!, Is.GreaterThanOrEqualTo((double)m["knn_top1"]!));
        }
        var csv = File.ReadAllLines(Path.Combine(run.Path, "eval.csv"));
        Assert.That(csv[0], Is.EqualTo(EmbeddingEvaluation.CsvHeader));
        Assert.That(csv.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "encoder", "head" }));
        foreach (var png in new[] { "tsne-encoder.png", "tsne-head.png" })
            Assert.That(new FileInfo(Path.Combine(run.Path, png)).Length, Is.GreaterThan(1000), png);
        Assert.That(Directory.GetFiles(run.Path, ".*.tmp"), Is.Empty, "no temporary files left");
    }

    // Every registered method names its head (ContrastiveMethod.Head): SwAV's, NNCLR's and SupCon's
    // projector (before normalisation and SwAV's prototypes), the supervised baseline's classifier
    // (10-d logits). The label-trained ones are rebuilt with the run's class count.
    [TestCase("swav", 128)]
    [TestCase("nnclr", 128)]
    [TestCase("supcon", 128)]
    [TestCase("supervised", 10)]
    public void EveryMethodIsScoredAfterItsHeadToo(string method, int headDim)
    {
        using var run = new TempDir();
        Train(run, method, 0);
        var r = CliRunner.Run("eval", "--checkpoint", run.Path, "--tsne-samples", "20", "--perplexity", "5");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.OutLines[3], Does.StartWith("encoder "));
        Assert.That(r.OutLines[4], Does.Match($@"^head\s+{headDim}\s"));
        Assert.That(r.OutLines[5], Does.StartWith("wrote ").And.Contain("tsne-head.png"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Path, "metrics.json")))!;
        Assert.That(json["embeddings"]!.AsObject().Select(kv => kv.Key), Is.EqualTo(new[] { "encoder", "head" }));
    }

    [Test]
    public void SameNumbersTwiceNoPictureAndAnotherFolder()
    {
        using var run = new TempDir();
        using var other = new TempDir();
        Train(run, "simclr", 1);
        var a = CliRunner.Run("eval", "--checkpoint", Path.Combine(run.Path, "last.safetensors"), "--tsne-samples", "0", "--out", other.Path, "--k", "3");
        var b = CliRunner.Run("eval", "--checkpoint", run.Path, "--tsne-samples", "0", "--out", other.Path, "--k", "3");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Error);
        Assert.That(b.OutLines[..5], Is.EqualTo(a.OutLines[..5]), "deterministic");
        Assert.That(a.OutLines[0], Does.Contain("k=3"));
        Assert.That(Directory.GetFiles(other.Path).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "eval.csv", "metrics.json" }));
        Assert.That(File.Exists(Path.Combine(run.Path, "metrics.json")), Is.False);
    }

    [Test]
    public void EmuDeviceGivesTheCpuNumbers()
    {
        using var run = new TempDir();
        using var cpuOut = new TempDir();
        using var emuOut = new TempDir();
        Train(run, "npid", 1);
        var cpu = CliRunner.Run("eval", "--checkpoint", run.Path, "--tsne-samples", "0", "--out", cpuOut.Path, "--device", "cpu");
        var emu = CliRunner.Run("eval", "--checkpoint", run.Path, "--tsne-samples", "0", "--out", emuOut.Path, "--device", "emu");
        Assert.That(emu.ExitCode, Is.EqualTo(0), emu.Error);
        var c = JsonNode.Parse(File.ReadAllText(Path.Combine(cpuOut.Path, "metrics.json")))!["embeddings"]!;
        var e = JsonNode.Parse(File.ReadAllText(Path.Combine(emuOut.Path, "metrics.json")))!["embeddings"]!;
        foreach (var emb in new[] { "encoder", "head" })
            foreach (var key in new[] { "knn_top1", "knn_top5", "precision_at_1", "r_precision", "map_at_r", "nmi", "ami" })
                Assert.That((double)e[emb]![key]!, Is.EqualTo((double)c[emb]![key]!).Within(0.026), $"{emb}.{key}: one of 40 test images may flip on a near tie");
    }

    [Test]
    public void MissingCheckpointIsOneUserErrorLine()
    {
        var r = CliRunner.Run("eval", "--checkpoint", "/nonexistent/run");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: /nonexistent/run: checkpoint not found"));
        var bad = CliRunner.Run("eval", "--checkpoint", "x", "--tsne-samples", "-1");
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.Error);
    }
}
