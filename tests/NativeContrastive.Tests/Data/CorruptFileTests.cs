using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

/// <summary>
/// Damaged data files a user met: each is a <see cref="DataFormatException"/> naming the file and
/// saying what is wrong (the expected and the found value), never a silent load or a misleading reason.
/// </summary>
public class CorruptFileTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void AGzipChecksumErrorSaysSoAndNamesTheFile(bool images)
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, images ? "train-images-idx3-ubyte.gz" : "train-labels-idx1-ubyte.gz");
        DatasetWriters.Write(path, images ? DatasetWriters.IdxImages(6, 28, 28) : DatasetWriters.IdxLabels(DatasetWriters.Labels(6, 10)), gzip: true);
        var bytes = File.ReadAllBytes(path);
        bytes[^8] ^= 0x5A; // the first byte of the CRC-32 in the gzip trailer
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() =>
        {
            if (images) IdxReader.ReadImages(path);
            else IdxReader.ReadLabels(path, 10);
        });
        Assert.That(e!.FilePath, Is.EqualTo(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain("CRC-32").And.Contain("checksum"));
        Assert.That(e.Message, Does.Not.Contain("unsupported compression method"));
    }

    [Test]
    public void CorruptDeflateDataIsNotCalledAnUnsupportedMethod()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "t10k-images-idx3-ubyte.gz");
        DatasetWriters.Write(path, DatasetWriters.IdxImages(6, 28, 28), gzip: true);
        var bytes = File.ReadAllBytes(path);
        for (int i = 12; i < 40; i++) bytes[i] = 0xFF; // the deflate stream right after the 10-byte header
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("gzip").And.Contain("damaged"));
        Assert.That(e.Message, Does.Not.Contain("unsupported compression method"));
    }

    [Test]
    public void AnEmptyCifarBatchIsAnErrorNamingTheFileAndSizes()
    {
        using var tmp = new TempDir();
        string dir = tmp.Sub("cifar-10-batches-bin");
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), DatasetWriters.CifarRecords(2, 0, [[1], [2]]));
        string empty = Path.Combine(dir, "data_batch_3.bin");
        File.WriteAllBytes(empty, []);
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), DatasetWriters.CifarRecords(1, 0, [[3]]));
        var e = Assert.Throws<DataFormatException>(() => CifarReader.LoadCifar10(tmp.Path, DataSplit.Train));
        Assert.That(e!.FilePath, Is.EqualTo(empty));
        Assert.That(e.Message, Does.Contain("found 0 bytes").And.Contain("3073"));
    }

    [Test]
    public void AnEmptyStl10ImageFileIsAnErrorNamingTheFileAndSizes()
    {
        using var tmp = new TempDir();
        string dir = tmp.Sub("stl10_binary");
        File.WriteAllBytes(Path.Combine(dir, "test_X.bin"), []);
        File.WriteAllBytes(Path.Combine(dir, "test_y.bin"), []);
        var e = Assert.Throws<DataFormatException>(() => Stl10Reader.Load(tmp.Path, DataSplit.Test));
        Assert.That(e!.FilePath, Does.EndWith("test_X.bin"));
        Assert.That(e.Message, Does.Contain("found 0 bytes").And.Contain("27648"));
    }
}
