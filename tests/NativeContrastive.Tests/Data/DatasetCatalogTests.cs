using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class DatasetCatalogTests
{
    [Test]
    public void UnknownNameListsKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Load("imagenet", "/tmp", DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("imagenet").And.Contain("cifar10").And.Contain("fashion-mnist"));
    }

    [Test]
    public void MissingDirectoryNamesThePathSearched()
    {
        string nowhere = Path.Combine(Path.GetTempPath(), "nc-no-such-dir-" + Guid.NewGuid().ToString("N"));
        foreach (var name in new[] { "fashion-mnist", "cifar100", "stl10", "folder" })
        {
            var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load(name, nowhere, DataSplit.Train));
            Assert.That(e!.Message, Does.Contain(nowhere).And.Contain("not found"), name);
        }
    }

    [Test]
    public void MissingSplitIsRejected()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 1, 1);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Unlabeled));
        Assert.That(e!.Message, Does.Contain("Unlabeled"));
    }

    [Test]
    public void NormalizationStatsMatchPublishedValues()
    {
        Assert.That(DatasetCatalog.NormalizationFor("cifar10")!.Mean, Is.EqualTo(new[] { 0.4914f, 0.4822f, 0.4465f }));
        Assert.That(DatasetCatalog.NormalizationFor("fmnist")!.Std, Is.EqualTo(new[] { 0.3530f }));
        Assert.That(DatasetCatalog.NormalizationFor("folder"), Is.Null);
    }

    [Test]
    public void ComputedNormalizationIsTheDataSetsOwn()
    {
        // Two 1×1×2 images: pixels 0, 255, 255, 255 → mean 0.75, std √(0.75·0.25).
        var ds = new ImageDataset("t", 1, 1, 2, [0, 255, 255, 255], [-1, -1], []);
        var n = Normalization.Compute(ds);
        Assert.That(n.Mean[0], Is.EqualTo(0.75f).Within(1e-6));
        Assert.That(n.Std[0], Is.EqualTo(MathF.Sqrt(0.1875f)).Within(1e-6));
    }
}
