using System.IO.Compression;
using NativeContrastive.Engine.Data;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// IDX images and labels (Fashion-MNIST's format), raw and gzipped, fed mutated files: each loads
/// or is a <see cref="DataFormatException"/> naming the file; no crash, no hang, and no allocation
/// beyond a small multiple of what the file holds (a header may declare 4 billion images).
/// </summary>
[NonParallelizable]
public class IdxFuzzTests
{
    private const int Inputs = 1500;
    private static readonly int[] HeaderFields = [0, 4, 8, 12];

    public static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    /// <summary>What a gzip input decompresses to before its first error (its own length when it is not gzip).</summary>
    private static long Decompressed(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1F || bytes[1] != 0x8B) return bytes.Length;
        long n = 0;
        try
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var buf = new byte[1 << 16];
            int k;
            while ((k = gz.Read(buf)) > 0 && n < 1L << 30) n += k;
        }
        catch (InvalidDataException) { }
        return n;
    }

    private static FuzzReport Fuzz(string parser, byte[] raw, bool gzip, int seed, Action<string> read)
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, gzip ? "fuzz-idx.gz" : "fuzz-idx");
        var mutator = new Mutator(seed);
        byte[] seedFile = gzip ? Gzip(raw) : raw;
        File.WriteAllBytes(path, seedFile);
        read(path); // the seed itself loads
        return FuzzHarness.Run(parser, Inputs,
            i => (i % 3, gzip) switch
            {
                (0, _) => gzip ? Gzip(mutator.Fields(raw, HeaderFields, bigEndian: true)) : mutator.Fields(raw, HeaderFields, bigEndian: true),
                (1, true) => Gzip(mutator.Bytes(raw)),
                _ => mutator.Bytes(seedFile),
            },
            bytes => { File.WriteAllBytes(path, bytes); read(path); },
            e => e is DataFormatException d && d.FilePath == path,
            bytes => (1 << 20) + 8 * Math.Max(bytes.Length, Decompressed(bytes)));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void IdxImages(bool gzip)
    {
        var r = Fuzz(gzip ? "idx images (gz)" : "idx images (raw)", DatasetWriters.IdxImages(5, 6, 4), gzip, gzip ? 11 : 12, p =>
        {
            var (n, rows, cols, pixels) = IdxReader.ReadImages(p);
            Assert.That(pixels, Has.Length.EqualTo(n * rows * cols));
        });
        FuzzHarness.AssertClean(r);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void IdxLabels(bool gzip)
    {
        var r = Fuzz(gzip ? "idx labels (gz)" : "idx labels (raw)", DatasetWriters.IdxLabels(DatasetWriters.Labels(12, 10)), gzip, gzip ? 13 : 14, p =>
        {
            var labels = IdxReader.ReadLabels(p, 10);
            Assert.That(labels, Has.All.InRange(0, 9));
            Assert.That(IdxReader.ReadCount(p, IdxReader.LabelsMagic), Is.GreaterThanOrEqualTo((uint)labels.Length));
        });
        FuzzHarness.AssertClean(r);
    }
}
