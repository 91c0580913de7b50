using System.Buffers.Binary;
using System.IO.Compression;

namespace NativeContrastive.Tests.Data;

/// <summary>
/// Writes small files in the exact published layouts, so each reader is tested on the
/// format itself: IDX (big-endian header), CIFAR-10/100 records, STL-10 column-major planes.
/// Pixel values follow <see cref="Pixel"/> so tests can recompute any expected byte.
/// </summary>
public static class DatasetWriters
{
    /// <summary>A distinct, recomputable value for (image, channel, row, column).</summary>
    public static byte Pixel(int n, int c, int y, int x) => (byte)(n * 37 + c * 71 + y * 13 + x * 5 + 1);

    public static byte[] Images(int n, int c, int h, int w)
    {
        var p = new byte[n * c * h * w];
        for (int i = 0, k = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) p[k++] = Pixel(i, ch, y, x);
        return p;
    }

    public static byte[] IdxImages(int n, int rows, int cols, uint magic = 2051, int? headerCount = null)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)(headerCount ?? n));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)rows);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)cols);
        return [.. header, .. Images(n, 1, rows, cols)];
    }

    public static byte[] IdxLabels(byte[] labels, uint magic = 2049)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)labels.Length);
        return [.. header, .. labels];
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    /// <summary>A Fashion-MNIST layout directory: trainCount/testCount 28×28 images, labels i % 10 (first train label 9 when firstLabel is 9).</summary>
    public static void FashionMnist(string dir, int trainCount, int testCount, bool gzip = true)
    {
        string ext = gzip ? ".gz" : "";
        foreach (var (prefix, n) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}"), IdxImages(n, 28, 28), gzip);
            Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}"), IdxLabels(Labels(n, 10, offset: 9)), gzip);
        }
    }

    public static byte[] Labels(int n, int classes, int offset = 0) => Enumerable.Range(0, n).Select(i => (byte)((i + offset) % classes)).ToArray();

    /// <summary>CIFAR records: labelBytes label byte(s) then R, G, B planes of 32×32.</summary>
    public static byte[] CifarRecords(int n, int first, byte[][] labelBytes)
    {
        var all = Images(first + n, 3, 32, 32);
        var outp = new List<byte>();
        for (int i = 0; i < n; i++)
        {
            outp.AddRange(labelBytes[i]);
            outp.AddRange(all.AsSpan((first + i) * 3072, 3072).ToArray());
        }
        return outp.ToArray();
    }

    /// <summary>STL-10 images: each channel written column-major, byte (c, x, y) at c·9216 + x·96 + y.</summary>
    public static byte[] StlImages(int n)
    {
        var p = new byte[n * 3 * 96 * 96];
        for (int i = 0, k = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int x = 0; x < 96; x++)
                    for (int y = 0; y < 96; y++) p[k++] = Pixel(i, c, y, x);
        return p;
    }
}
