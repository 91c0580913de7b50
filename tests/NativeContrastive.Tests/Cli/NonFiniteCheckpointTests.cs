using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// A checkpoint with a non-finite weight (one Inf or NaN), or weights so large that the features
/// overflow, is an error in every command that reads one: one "nc: error:" line naming the file and
/// the tensor (or the features) that are not finite, exit code 1, no stack trace — never a score.
/// Training stops at the step that made a weight non-finite, naming it.
/// </summary>
[NonParallelizable]
public class NonFiniteCheckpointTests
{
    private static TempDir data = null!, run = null!;
    private const string Weight = "encoder.conv1.weight";

    [OneTimeSetUp]
    public void TrainBaseline()
    {
        data = new TempDir();
        LinearCommandTests.ClassPatterns(data.Path, trainCount: 40, testCount: 20);
        run = new TempDir();
        var r = CliRunner.Run("train", "--method", "simclr", "--data", data.Path, "--out", run.Path, "--epochs", "0", "--batch-size", "20",
            "--limit", "40", "--image-size", "12", "--knn-k", "5", "--seed", "3");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(SafeTensorsFile.Read(Path.Combine(run.Path, "last.safetensors")).Contains(Weight), Weight);
    }

    [OneTimeTearDown]
    public void Remove()
    {
        run.Dispose();
        data.Dispose();
    }

    /// <summary>A copy of the baseline checkpoint with element <paramref name="index"/> of <paramref name="tensor"/> set to <paramref name="value"/> (all elements when index is −1).</summary>
    private static string Corrupt(TempDir dir, string tensor, int index, float value)
    {
        var file = SafeTensorsFile.Read(Path.Combine(run.Path, "last.safetensors"));
        var bytes = file[tensor].Data;
        for (int i = 0; i < bytes.Length / 4; i++)
            if (index < 0 || i == index) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i, 4), value);
        string path = Path.Combine(dir.Path, "bad.safetensors");
        file.Write(path);
        return path;
    }

    private static void AssertOneLineError(CliRunner.Result r, params string[] mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Out + r.Error);
        Assert.That(r.ErrorLines.Where(l => l.StartsWith("nc: error:", StringComparison.Ordinal)).ToArray(), Has.Length.EqualTo(1), r.Error);
        Assert.That(r.Error, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(r.Out, Does.Not.Contain("top1"), "no score");
        var line = r.ErrorLines.Single(l => l.StartsWith("nc: error:", StringComparison.Ordinal));
        foreach (var m in mentions) Assert.That(line, Does.Contain(m));
    }

    [TestCase(float.PositiveInfinity, "Infinity")]
    [TestCase(float.NaN, "NaN")]
    public void KnnRejectsANonFiniteWeight(float value, string shown)
    {
        using var dir = new TempDir();
        string path = Corrupt(dir, Weight, 5, value);
        var r = CliRunner.Run("knn", "--checkpoint", path, "--data", data.Path, "--k", "5");
        AssertOneLineError(r, "bad.safetensors", Weight, "not finite", shown);
    }

    [Test]
    public void EvalRejectsANonFiniteWeight()
    {
        using var dir = new TempDir();
        string path = Corrupt(dir, Weight, 0, float.NegativeInfinity);
        var r = CliRunner.Run("eval", "--checkpoint", path, "--data", data.Path, "--k", "5", "--tsne-samples", "0");
        AssertOneLineError(r, "bad.safetensors", Weight, "not finite");
    }

    [Test]
    public void LinearRejectsANonFiniteWeight()
    {
        using var dir = new TempDir();
        string path = Corrupt(dir, Weight, 3, float.NaN);
        var r = CliRunner.Run("linear", "--checkpoint", path, "--data", data.Path, "--epochs", "1", "--out", Path.Combine(dir.Path, "probe"));
        AssertOneLineError(r, "bad.safetensors", Weight, "not finite");
    }

    [Test]
    public void ResumeRejectsANonFiniteWeight()
    {
        using var dir = new TempDir();
        string path = Corrupt(dir, Weight, 1, float.NaN);
        var r = CliRunner.Run("train", "--resume", path, "--data", data.Path, "--epochs", "1", "--out", Path.Combine(dir.Path, "resumed"));
        AssertOneLineError(r, "bad.safetensors", Weight, "not finite");
    }

    [Test]
    public void KnnRejectsFeaturesThatOverflowFromFiniteWeights()
    {
        // Every weight of the first convolution at 3e38: finite, but the features are not.
        using var dir = new TempDir();
        string path = Corrupt(dir, Weight, -1, 3e38f);
        var r = CliRunner.Run("knn", "--checkpoint", path, "--data", data.Path, "--k", "5");
        AssertOneLineError(r, "bad.safetensors", "features", "not finite");
        var e = CliRunner.Run("eval", "--checkpoint", path, "--data", data.Path, "--k", "5", "--tsne-samples", "0");
        AssertOneLineError(e, "bad.safetensors", "features", "not finite");
        var l = CliRunner.Run("linear", "--checkpoint", path, "--data", data.Path, "--epochs", "1", "--out", Path.Combine(dir.Path, "probe"));
        AssertOneLineError(l, "bad.safetensors", "features", "not finite");
    }

    [Test]
    public void TrainingStopsAtTheStepThatMadeAWeightNonFinite()
    {
        // Weight decay 1e30 at lr 1e30: the first SGD step moves every decayed weight by ~1e59 —
        // infinite — while that step's loss (computed before the update) is still finite.
        using var dir = new TempDir();
        var r = CliRunner.Run("train", "--method", "simclr", "--data", data.Path, "--out", dir.Path, "--epochs", "1", "--batch-size", "20",
            "--limit", "40", "--image-size", "12", "--optimizer", "sgd", "--lr", "1e30", "--weight-decay", "1e30", "--warmup-epochs", "0",
            "--no-online-probe");
        AssertOneLineError(r, "epoch 1, step 1", "encoder.", "not finite");
        Assert.That(r.ErrorLines.Single(l => l.StartsWith("nc: error:", StringComparison.Ordinal)), Does.Match(@"epoch 1, step 1\b"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "last.safetensors")), Is.False, "no checkpoint of the broken weights");
    }

    [Test]
    public void TheKnnMonitorRejectsNonFiniteFeatures()
    {
        // The monitor the trainer runs after an epoch: weights of 3e38 are finite, the features are not.
        var pixels = Enumerable.Range(0, 6 * 4).Select(i => (byte)(40 + i * 7)).ToArray();
        var ds = new Engine.Data.ImageDataset("toy", 1, 2, 2, pixels, [0, 1, 0, 1, 0, 1], ["a", "b"]);
        using var encoder = new Methods.FlattenLinear(Support.GradCheck.Cpu, 4, 3, 0, Enumerable.Repeat(3e38f, 12).ToArray());
        var e = Assert.Throws<Engine.Eval.NonFiniteFeaturesException>(() =>
            Engine.Training.Evaluation.KnnMonitor.Evaluate(encoder, ds, ds, Support.GradCheck.Cpu, 2, k: 2, temperature: 0.1f, batchSize: 4));
        Assert.That(e!.Message, Does.Contain("features").And.Contain("not finite").And.Contain("toy"));
    }
}
