namespace NativeContrastive.Engine.Data;

/// <summary>
/// The IDX format of MNIST / Fashion-MNIST (LeCun et al.): a big-endian header — magic
/// 0x00000803 (2051) for uint8 images [count, rows, cols], 0x00000801 (2049) for uint8
/// labels [count] — followed by the raw bytes. Files may be gzipped or not.
/// </summary>
public static class IdxReader
{
    public const uint ImagesMagic = 2051, LabelsMagic = 2049;

    /// <summary>Reads up to <paramref name="limit"/> images as (count, rows, cols, rows·cols·count bytes).</summary>
    public static (int Count, int Rows, int Cols, byte[] Pixels) ReadImages(string path, int? limit = null)
    {
        using var s = DataFile.OpenRead(path);
        string file = path;
        uint magic = DataFile.ReadUInt32BigEndian(s, file, 0, "magic number");
        if (magic != ImagesMagic)
            throw new DataFormatException(file, $"expected magic {ImagesMagic} (IDX uint8 images), found {magic}.");
        uint count = DataFile.ReadUInt32BigEndian(s, file, 4, "image count");
        uint rows = DataFile.ReadUInt32BigEndian(s, file, 8, "row count");
        uint cols = DataFile.ReadUInt32BigEndian(s, file, 12, "column count");
        if (rows == 0 || cols == 0 || rows > 65536 || cols > 65536)
            throw new DataFormatException(file, $"expected image size between 1×1 and 65536×65536, found {rows}×{cols}.");
        int n = (int)Math.Min(count, (uint)Math.Min(limit ?? int.MaxValue, int.MaxValue));
        long imageBytes = (long)rows * cols;
        DataFile.CheckAvailable(s, file, n * imageBytes, 16, $"16-byte header + {n} images of {rows}×{cols}");
        DataFile.CheckFitsInArray(file, n, imageBytes);
        var pixels = DataFile.ReadBytes(s, file, n * imageBytes, 16, $"16-byte header + {n} images of {rows}×{cols}");
        DataFile.VerifyToEnd(s, file, 16 + pixels.LongLength);
        return (n, (int)rows, (int)cols, pixels);
    }

    /// <summary>Reads up to <paramref name="limit"/> labels, each checked to be below <paramref name="numClasses"/>.</summary>
    public static int[] ReadLabels(string path, int numClasses, int? limit = null)
    {
        using var s = DataFile.OpenRead(path);
        uint magic = DataFile.ReadUInt32BigEndian(s, path, 0, "magic number");
        if (magic != LabelsMagic)
            throw new DataFormatException(path, $"expected magic {LabelsMagic} (IDX uint8 labels), found {magic}.");
        uint count = DataFile.ReadUInt32BigEndian(s, path, 4, "label count");
        int n = (int)Math.Min(count, (uint)Math.Min(limit ?? int.MaxValue, int.MaxValue));
        var bytes = DataFile.ReadBytes(s, path, n, 8, $"8-byte header + {n} labels");
        DataFile.VerifyToEnd(s, path, 8 + n);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (bytes[i] >= numClasses)
                throw new DataFormatException(path, $"label {i}: expected a class in 0..{numClasses - 1}, found {bytes[i]}.");
            labels[i] = bytes[i];
        }
        return labels;
    }

    /// <summary>The header's item count without reading the data (for the image/label consistency check).</summary>
    public static uint ReadCount(string path, uint expectedMagic)
    {
        using var s = DataFile.OpenRead(path);
        uint magic = DataFile.ReadUInt32BigEndian(s, path, 0, "magic number");
        if (magic != expectedMagic)
            throw new DataFormatException(path, $"expected magic {expectedMagic}, found {magic}.");
        return DataFile.ReadUInt32BigEndian(s, path, 4, "item count");
    }
}
