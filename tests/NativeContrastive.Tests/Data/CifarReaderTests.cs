using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class CifarReaderTests
{
    /// <summary>cifar-10-batches-bin with 2 records per training batch and 3 test records.</summary>
    private static string WriteCifar10(TempDir tmp, bool withMeta = false)
    {
        string dir = tmp.Sub("cifar-10-batches-bin");
        for (int b = 1; b <= 5; b++)
        {
            int first = (b - 1) * 2;
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"),
                DatasetWriters.CifarRecords(2, first, [[(byte)(first % 10)], [(byte)((first + 1) % 10)]]));
        }
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), DatasetWriters.CifarRecords(3, 0, [[7], [8], [9]]));
        if (withMeta) File.WriteAllLines(Path.Combine(dir, "batches.meta.txt"), Enumerable.Range(0, 10).Select(i => $"c{i}").Append(""));
        return dir;
    }

    [Test]
    public void ReadsCifar10FromPublishedDirOrItsParent()
    {
        using var tmp = new TempDir();
        string dir = WriteCifar10(tmp, withMeta: true);
        foreach (var path in new[] { dir, tmp.Path })
        {
            var train = DatasetCatalog.Load("cifar10", path, DataSplit.Train);
            Assert.That((train.Count, train.Channels, train.Height, train.Width), Is.EqualTo((10, 3, 32, 32)));
            Assert.That(train.Labels, Is.EqualTo(Enumerable.Range(0, 10).ToArray()));
            Assert.That(train.Pixels, Is.EqualTo(DatasetWriters.Images(10, 3, 32, 32)), "records are CHW already");
            Assert.That(train.ClassNames[3], Is.EqualTo("c3"));
        }
        var test = DatasetCatalog.Load("cifar10", tmp.Path, DataSplit.Test);
        Assert.That(test.Labels, Is.EqualTo(new[] { 7, 8, 9 }));
    }

    [Test]
    public void Cifar10DefaultNamesWithoutMeta()
    {
        using var tmp = new TempDir();
        WriteCifar10(tmp);
        Assert.That(DatasetCatalog.Load("cifar10", tmp.Path, DataSplit.Test).ClassNames[0], Is.EqualTo("airplane"));
    }

    [Test]
    public void ReadsCifar100FineLabels()
    {
        using var tmp = new TempDir();
        string dir = tmp.Sub("cifar-100-binary");
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), DatasetWriters.CifarRecords(3, 0, [[1, 42], [19, 99], [0, 0]]));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), DatasetWriters.CifarRecords(1, 0, [[5, 55]]));
        File.WriteAllLines(Path.Combine(dir, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => $"fine{i}"));
        var train = DatasetCatalog.Load("cifar100", tmp.Path, DataSplit.Train);
        Assert.That(train.Labels, Is.EqualTo(new[] { 42, 99, 0 }));
        Assert.That(train.NumClasses, Is.EqualTo(100));
        Assert.That(train.ClassNames[42], Is.EqualTo("fine42"));
        Assert.That(train.Pixels, Is.EqualTo(DatasetWriters.Images(3, 3, 32, 32)));
        Assert.That(DatasetCatalog.Load("cifar100", dir, DataSplit.Test).Labels, Is.EqualTo(new[] { 55 }));
    }

    [Test]
    public void TruncatedRecordNamesFileAndSizes()
    {
        using var tmp = new TempDir();
        string dir = WriteCifar10(tmp);
        var path = Path.Combine(dir, "data_batch_3.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("cifar10", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("data_batch_3.bin").And.Contain("multiple of 3073").And.Contain("found 5000"));
    }

    [Test]
    public void MissingBatchAndMissingDirectoryAreNamed()
    {
        using var tmp = new TempDir();
        string dir = WriteCifar10(tmp);
        File.Delete(Path.Combine(dir, "data_batch_5.bin"));
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("cifar10", tmp.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("data_batch_5.bin").And.Contain("not found"));
        string nowhere = Path.Combine(tmp.Path, "nowhere");
        var e2 = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("cifar10", nowhere, DataSplit.Train));
        Assert.That(e2!.Message, Does.Contain(nowhere).And.Contain("not found"));
        var e3 = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("cifar100", tmp.Path, DataSplit.Train));
        Assert.That(e3!.Message, Does.Contain("cifar-100-binary").And.Contain("train.bin"));
    }

    [Test]
    public void LabelOutOfRangeIsReported()
    {
        using var tmp = new TempDir();
        string dir = WriteCifar10(tmp);
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), DatasetWriters.CifarRecords(2, 0, [[1], [12]]));
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("cifar10", dir, DataSplit.Test));
        Assert.That(e!.Message, Does.Contain("test_batch.bin").And.Contain("record 1").And.Contain("found 12"));
    }
}
