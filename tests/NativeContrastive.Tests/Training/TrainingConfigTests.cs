using NUnit.Framework;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

public class TrainingConfigTests
{
    [Test]
    public void DefaultsAreTheDocumentedOnes()
    {
        var c = new TrainingConfig();
        Assert.That((c.Method, c.Dataset, c.Arch, c.Stem, c.Device), Is.EqualTo(("simclr", "fashion-mnist", "small", "cifar", "cpu")));
        Assert.That((c.Optimizer, c.Lr, c.WeightDecay, c.Schedule, c.Momentum), Is.EqualTo(((string?)null, (float?)null, (float?)null, "cosine", 0.9f)),
            "optimiser, lr and weight decay default per method");
        Assert.That((c.KnnK, c.KnnTemperature), Is.EqualTo((200, 0.1f)));
        Assert.That(c.ImageSize, Is.Null, "image size defaults to the data set's own");
        Assert.That(c.MethodOptions, Is.Empty, "method options default per method");
        var r = c.Resolve();
        Assert.That((r.Optimizer, r.Lr, r.WeightDecay), Is.EqualTo(("adam", (float?)1e-3f, (float?)1e-6f)));
        Assert.That(r.MethodOptions["temperature"], Is.EqualTo("0.5"));
    }

    [Test]
    public void ResolveFillsMethodDefaultsAndCanonicalNames()
    {
        var c = new TrainingConfig { Method = "NPID", Dataset = "FMNIST", Arch = "ResNet18" }.Resolve();
        Assert.That((c.Method, c.Dataset, c.Arch), Is.EqualTo(("npid", "fashion-mnist", "resnet18")));
        Assert.That((c.Optimizer, c.Lr, c.WeightDecay), Is.EqualTo(("sgd", (float?)0.03f, (float?)5e-4f)), "NPID trains with the paper's SGD");
        Assert.That((c.MethodOptions["temperature"], c.MethodOptions["negatives"], c.MethodOptions["nce-momentum"], c.MethodOptions["embed-dim"]),
            Is.EqualTo(("0.07", "4096", "0.5", "128")));
        Assert.That(c.MethodOptions.Keys, Is.EquivalentTo(Engine.Methods.MethodRegistry.Get("npid").Options.Select(o => o.Name)), "every option of the method, no other");
    }

    [Test]
    public void AnOptionOfAnotherMethodIsRejectedNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrainingConfig { Method = "simclr" }.WithMethodOption("negatives", "5").Resolve())!;
        Assert.That(e.Message, Does.Contain("--negatives").And.Contain("npid").And.Contain("simclr"));
        var bad = Assert.Throws<ArgumentException>(() => new TrainingConfig { Method = "npid" }.WithMethodOption("negatives", "0").Resolve())!;
        Assert.That(bad.Message, Does.StartWith("--negatives must be ≥ 1"));
        var text = Assert.Throws<ArgumentException>(() => new TrainingConfig { Method = "npid" }.WithMethodOption("negatives", "many").Resolve())!;
        Assert.That(text.Message, Does.Contain("--negatives").And.Contain("many"));
    }

    [Test]
    public void JsonRoundTripKeepsEveryValue()
    {
        var c = new TrainingConfig
        {
            Method = "npid", Dataset = "cifar10", DataPath = "/data/cifar", Arch = "resnet34", Stem = "imagenet",
            Epochs = 7, BatchSize = 64, Lr = 0.03f, Optimizer = "lars", Momentum = 0.8f, WeightDecay = 1e-6f,
            WarmupEpochs = 1.5f, Schedule = "multistep", Milestones = [3, 5], LrDecay = 0.2f,
            Seed = ulong.MaxValue, Limit = null, ImageSize = 24,
            MethodOptions = new(StringComparer.Ordinal) { ["temperature"] = "0.2", ["negatives"] = "100", ["nce-momentum"] = "0.3", ["embed-dim"] = "32", ["full-softmax"] = "true" },
            KnnK = 20, KnnTemperature = 0.07f,
            EvalEvery = 2, Out = "runs/x", Resume = "runs/y",
        };
        string json = c.ToJson();
        var back = TrainingConfig.FromJson(json);
        Assert.That(back, Is.EqualTo(c));
        Assert.That(back.Milestones, Is.EqualTo(new[] { 3, 5 }));
        Assert.That(back.Seed, Is.EqualTo(ulong.MaxValue));
        Assert.That(json, Does.Contain("\"batch_size\": 64"), "indented snake_case JSON");
        Assert.That(back, Is.Not.EqualTo(c with { Milestones = [3, 6] }));
        Assert.That(back, Is.Not.EqualTo(c.WithMethodOption("negatives", "101")));
    }

    [Test]
    public void SaveAndLoadThroughAFile()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "config.json");
        var c = new TrainingConfig { Epochs = 11 }.Resolve();
        c.Save(path);
        Assert.That(TrainingConfig.Load(path), Is.EqualTo(c));
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file left behind");
    }

    [Test]
    public void AConfigurationFromBeforeTheOnlineProbeRanWithoutIt()
    {
        var c = new TrainingConfig().Resolve();
        Assert.That(c.OnlineProbe, Is.True, "on by default");
        Assert.That(TrainingConfig.FromJson(c.ToJson()).OnlineProbe, Is.True);
        Assert.That(TrainingConfig.FromJson((c with { OnlineProbe = false }).ToJson()).OnlineProbe, Is.False);
        string old = System.Text.RegularExpressions.Regex.Replace(c.ToJson(), @"\s*""online_probe"": true,", "");
        Assert.That(old, Does.Not.Contain("online_probe"));
        Assert.That(TrainingConfig.FromJson(old).OnlineProbe, Is.False, "a run folder written before the probe resumes without it");
    }

    [Test]
    public void UnknownJsonFieldIsAnErrorNamingTheSource()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingConfig.FromJson("{\"epochz\": 3}", "my.json"));
        Assert.That(e!.Message, Does.Contain("my.json"));
    }

    [TestCase("Epochs", -1, "--epochs")]
    [TestCase("BatchSize", 1, "--batch-size")]
    [TestCase("KnnK", 0, "--knn-k")]
    public void ValidationNamesTheFlag(string property, int value, string flag)
    {
        var c = new TrainingConfig();
        var p = typeof(TrainingConfig).GetProperty(property)!;
        var bad = c with { };
        p.SetValue(bad, value);
        var e = Assert.Throws<ArgumentException>(() => bad.Validate());
        Assert.That(e!.Message, Does.StartWith(flag));
    }

    [Test]
    public void UnknownChoicesAreRejectedWithTheKnownValues()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrainingConfig { Method = "byol" }.Validate());
        Assert.That(e!.Message, Does.Contain("simclr").And.Contain("npid"));
        Assert.Throws<ArgumentException>(() => new TrainingConfig { Arch = "vit" }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainingConfig { Optimizer = "rmsprop" }.Validate());
    }
}
