using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class Stl10ReaderTests
{
    private static string WriteStl(TempDir tmp, int train = 3, int test = 2, int unlabeled = 2)
    {
        string dir = tmp.Sub("stl10_binary");
        File.WriteAllBytes(Path.Combine(dir, "train_X.bin"), DatasetWriters.StlImages(train));
        File.WriteAllBytes(Path.Combine(dir, "train_y.bin"), Enumerable.Range(0, train).Select(i => (byte)(10 - i)).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "test_X.bin"), DatasetWriters.StlImages(test));
        File.WriteAllBytes(Path.Combine(dir, "test_y.bin"), Enumerable.Range(0, test).Select(i => (byte)(1 + i)).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "unlabeled_X.bin"), DatasetWriters.StlImages(unlabeled));
        return dir;
    }

    [Test]
    public void TransposesColumnMajorPlanesAndShiftsLabels()
    {
        using var tmp = new TempDir();
        WriteStl(tmp);
        var train = DatasetCatalog.Load("stl10", tmp.Path, DataSplit.Train);
        Assert.That((train.Count, train.Channels, train.Height, train.Width), Is.EqualTo((3, 3, 96, 96)));
        Assert.That(train.Labels, Is.EqualTo(new[] { 9, 8, 7 }));
        Assert.That(train.Pixels, Is.EqualTo(DatasetWriters.Images(3, 3, 96, 96)), "row-major CHW after transposition");
        // One pixel by hand: (n=1, c=2, y=5, x=90) is not its transpose.
        Assert.That(train.Image(1)[2 * 9216 + 5 * 96 + 90], Is.EqualTo(DatasetWriters.Pixel(1, 2, 5, 90)));
        Assert.That(DatasetWriters.Pixel(1, 2, 5, 90), Is.Not.EqualTo(DatasetWriters.Pixel(1, 2, 90, 5)));
        Assert.That(train.ClassNames[7], Is.EqualTo("monkey"));
    }

    [Test]
    public void UnlabeledSplitHasMinusOneLabels()
    {
        using var tmp = new TempDir();
        string dir = WriteStl(tmp);
        var u = DatasetCatalog.Load("stl10", dir, DataSplit.Unlabeled);
        Assert.That(u.Labels, Is.EqualTo(new[] { -1, -1 }));
        Assert.That(u.IsLabeled, Is.False);
        var both = ImageDataset.Concat(DatasetCatalog.Load("stl10", dir, DataSplit.Train), u);
        Assert.That(both.Labels, Is.EqualTo(new[] { 9, 8, 7, -1, -1 }));
        Assert.That(both.IsLabeled, Is.True);
    }

    [Test]
    public void LabelCountMismatchAndBadSizeAreReported()
    {
        using var tmp = new TempDir();
        string dir = WriteStl(tmp);
        File.WriteAllBytes(Path.Combine(dir, "test_y.bin"), [1]);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("stl10", dir, DataSplit.Test));
        Assert.That(e!.Message, Does.Contain("test_y.bin").And.Contain("expected 2 labels").And.Contain("found 1"));
        File.WriteAllBytes(Path.Combine(dir, "train_X.bin"), new byte[27648 + 10]);
        var e2 = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("stl10", dir, DataSplit.Train));
        Assert.That(e2!.Message, Does.Contain("train_X.bin").And.Contain("multiple of 27648").And.Contain("found 27658"));
    }

    [Test]
    public void LabelOutsideOneToTenIsReported()
    {
        using var tmp = new TempDir();
        string dir = WriteStl(tmp);
        File.WriteAllBytes(Path.Combine(dir, "train_y.bin"), [1, 0, 3]);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("stl10", dir, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("train_y.bin").And.Contain("expected 1..10").And.Contain("found 0"));
    }
}
