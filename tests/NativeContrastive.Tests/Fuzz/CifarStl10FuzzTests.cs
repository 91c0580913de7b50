using NativeContrastive.Engine.Data;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// CIFAR-10 binary batches and STL-10 binary files fed mutated files (records cut, labels out of
/// range, sizes that are not whole records, empty files): each loads or is a
/// <see cref="DataFormatException"/> naming the file; allocation stays within a multiple of the file.
/// </summary>
[NonParallelizable]
public class CifarStl10FuzzTests
{
    [Test]
    public void Cifar10TestBatch()
    {
        using var tmp = new TempDir();
        string dir = tmp.Sub("cifar-10-batches-bin");
        File.WriteAllBytes(Path.Combine(dir, "data_batch_1.bin"), DatasetWriters.CifarRecords(1, 0, [[0]]));
        string path = Path.Combine(dir, "test_batch.bin");
        var seed = DatasetWriters.CifarRecords(2, 0, [[3], [7]]);
        File.WriteAllBytes(path, seed);
        Assert.That(CifarReader.LoadCifar10(tmp.Path, DataSplit.Test).Count, Is.EqualTo(2));
        var mutator = new Mutator(21);
        var r = FuzzHarness.Run("cifar-10 batch", 1000,
            i => i % 4 == 0 ? mutator.Fields(seed, [0, 1, 3073, 3074], bigEndian: false) : mutator.Bytes(seed),
            bytes =>
            {
                File.WriteAllBytes(path, bytes);
                var ds = CifarReader.LoadCifar10(tmp.Path, DataSplit.Test);
                Assert.That(ds.Pixels, Has.Length.EqualTo(ds.Count * CifarReader.ImageBytes));
                Assert.That(ds.Labels, Has.All.InRange(0, 9));
            },
            e => e is DataFormatException d && d.FilePath == path,
            bytes => (1 << 20) + 4L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }

    [Test]
    public void Stl10TestSplit()
    {
        using var tmp = new TempDir();
        string dir = tmp.Sub("stl10_binary");
        string xPath = Path.Combine(dir, "test_X.bin"), yPath = Path.Combine(dir, "test_y.bin");
        var x = DatasetWriters.StlImages(1);
        byte[] y = [4];
        var mutator = new Mutator(22);
        File.WriteAllBytes(xPath, x);
        File.WriteAllBytes(yPath, y);
        Assert.That(Stl10Reader.Load(tmp.Path, DataSplit.Test).Count, Is.EqualTo(1));
        var r = FuzzHarness.Run("stl-10 binary", 600,
            // Inputs alternate: a mutated image file (labels intact), then a mutated label file (images intact).
            i => i % 2 == 0 ? mutator.Bytes(x) : mutator.Bytes(y),
            bytes =>
            {
                File.WriteAllBytes(xPath, bytes.Length > 64 ? bytes : x);
                File.WriteAllBytes(yPath, bytes.Length > 64 ? y : bytes);
                var ds = Stl10Reader.Load(tmp.Path, DataSplit.Test);
                Assert.That(ds.Pixels, Has.Length.EqualTo(ds.Count * Stl10Reader.ImageBytes));
                Assert.That(ds.Labels, Has.All.InRange(0, 9));
            },
            e => e is DataFormatException d && (d.FilePath == xPath || d.FilePath == yPath),
            bytes => (1 << 20) + 4L * (bytes.Length + x.Length));
        FuzzHarness.AssertClean(r);
    }
}
