using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class IdxReaderTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void ReadsFashionMnistLayoutGzippedOrNot(bool gzip)
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, trainCount: 5, testCount: 3, gzip);
        var train = DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train);
        var test = DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Test);
        Assert.That((train.Count, train.Channels, train.Height, train.Width), Is.EqualTo((5, 1, 28, 28)));
        Assert.That(test.Count, Is.EqualTo(3));
        Assert.That(train.Labels, Is.EqualTo(new[] { 9, 0, 1, 2, 3 }));
        Assert.That(train.ClassNames[9], Is.EqualTo("Ankle boot"));
        Assert.That(train.Pixels, Is.EqualTo(DatasetWriters.Images(5, 1, 28, 28)));
        Assert.That(train.Normalization.Mean[0], Is.EqualTo(0.2860f));
    }

    [Test]
    public void LimitTakesTheFirstImages()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 6, 2);
        var ds = DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train, limit: 2);
        Assert.That(ds.Count, Is.EqualTo(2));
        Assert.That(ds.Pixels, Is.EqualTo(DatasetWriters.Images(2, 1, 28, 28)));
        var taken = DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train).Take(2);
        Assert.That(taken.Pixels, Is.EqualTo(ds.Pixels));
        Assert.That(taken.Labels, Is.EqualTo(ds.Labels));
    }

    [Test]
    public void WrongMagicNamesFileExpectedAndFound()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 2, 2);
        // Labels where images belong: the images file carries the labels magic 2049.
        DatasetWriters.Write(Path.Combine(tmp.Path, "train-images-idx3-ubyte.gz"), DatasetWriters.IdxImages(2, 28, 28, magic: 2049), true);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("expected magic 2051").And.Contain("found 2049"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void TruncatedImagesReportExpectedAndFoundBytes(bool gzip)
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 3, 1, gzip);
        var bytes = DatasetWriters.IdxImages(3, 28, 28);
        string name = "train-images-idx3-ubyte" + (gzip ? ".gz" : "");
        DatasetWriters.Write(Path.Combine(tmp.Path, name), bytes[..1000], gzip);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain(name).And.Contain($"expected at least {16 + 3 * 784} bytes").And.Contain("found 1000"));
    }

    [Test]
    public void CutGzipStreamIsReportedWithThePath()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 50, 1);
        string path = Path.Combine(tmp.Path, "train-images-idx3-ubyte.gz");
        var gz = File.ReadAllBytes(path);
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("expected at least 39216 bytes"));
    }

    [Test]
    public void InconsistentImageAndLabelCounts()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 4, 1);
        DatasetWriters.Write(Path.Combine(tmp.Path, "train-labels-idx1-ubyte.gz"), DatasetWriters.IdxLabels([1, 2, 3]), true);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("train-labels-idx1-ubyte.gz").And.Contain("expected 4 labels").And.Contain("found 3"));
    }

    [Test]
    public void MissingFileIsNamed()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 2, 2);
        File.Delete(Path.Combine(tmp.Path, "t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Test));
        Assert.That(e!.Message, Does.Contain("t10k-labels-idx1-ubyte.gz").And.Contain("not found"));
    }

    [Test]
    public void LabelOutOfRangeIsReported()
    {
        using var tmp = new TempDir();
        DatasetWriters.FashionMnist(tmp.Path, 2, 1);
        DatasetWriters.Write(Path.Combine(tmp.Path, "train-labels-idx1-ubyte.gz"), DatasetWriters.IdxLabels([1, 10]), true);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("fashion-mnist", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("label 1").And.Contain("found 10"));
    }
}
