using NativeContrastive.Engine.Training;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Training;

public class TrainingConfigTests
{
    [Test]
    public void DefaultsAreTheDocumentedOnes()
    {
        var c = new TrainingConfig();
        Assert.That((c.Method, c.Dataset, c.Arch, c.Stem, c.Device), Is.EqualTo(("simclr", "fashion-mnist", "small", "cifar", "cpu")));
        Assert.That((c.Optimizer, c.Lr, c.Schedule, c.Momentum), Is.EqualTo(("adam", 1e-3f, "cosine", 0.9f)));
        Assert.That((c.Negatives, c.NceMomentum, c.EmbedDim, c.FullSoftmax), Is.EqualTo((4096, 0.5f, 128, false)));
        Assert.That((c.KnnK, c.KnnTemperature), Is.EqualTo((200, 0.1f)));
        Assert.That(c.ImageSize, Is.Null, "image size defaults to the data set's own");
        Assert.That(c.Temperature, Is.Null, "temperature defaults per method");
        Assert.That(c.EffectiveTemperature, Is.EqualTo(0.5f));
        Assert.That((c with { Method = "npid" }).EffectiveTemperature, Is.EqualTo(0.07f));
        Assert.DoesNotThrow(() => c.Resolve());
    }

    [Test]
    public void ResolveFillsMethodDefaultsAndCanonicalNames()
    {
        var c = new TrainingConfig { Method = "NPID", Dataset = "FMNIST", Arch = "ResNet18" }.Resolve();
        Assert.That((c.Method, c.Dataset, c.Arch, c.Temperature), Is.EqualTo(("npid", "fashion-mnist", "resnet18", (float?)0.07f)));
    }

    [Test]
    public void JsonRoundTripKeepsEveryValue()
    {
        var c = new TrainingConfig
        {
            Method = "npid", Dataset = "cifar10", DataPath = "/data/cifar", Arch = "resnet34", Stem = "imagenet",
            Epochs = 7, BatchSize = 64, Lr = 0.03f, Optimizer = "lars", Momentum = 0.8f, WeightDecay = 1e-6f,
            WarmupEpochs = 1.5f, Schedule = "multistep", Milestones = [3, 5], LrDecay = 0.2f, Temperature = 0.2f,
            Seed = ulong.MaxValue, Limit = null, ImageSize = 24, ProjectorHiddenDim = 256, ProjectorOutDim = 64,
            Negatives = 100, NceMomentum = 0.3f, EmbedDim = 32, FullSoftmax = true, KnnK = 20, KnnTemperature = 0.07f,
            EvalEvery = 2, Out = "runs/x", Resume = "runs/y",
        };
        string json = c.ToJson();
        var back = TrainingConfig.FromJson(json);
        Assert.That(back, Is.EqualTo(c));
        Assert.That(back.Milestones, Is.EqualTo(new[] { 3, 5 }));
        Assert.That(back.Seed, Is.EqualTo(ulong.MaxValue));
        Assert.That(json, Does.Contain("\"batch_size\": 64"), "indented snake_case JSON");
        Assert.That(back, Is.Not.EqualTo(c with { Milestones = [3, 6] }));
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
    public void UnknownJsonFieldIsAnErrorNamingTheSource()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingConfig.FromJson("{\"epochz\": 3}", "my.json"));
        Assert.That(e!.Message, Does.Contain("my.json"));
    }

    [TestCase("Epochs", -1, "--epochs")]
    [TestCase("BatchSize", 1, "--batch-size")]
    [TestCase("KnnK", 0, "--knn-k")]
    [TestCase("Negatives", 0, "--negatives")]
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
