namespace NativeContrastive.Engine.Data;

/// <summary>
/// STL-10 binary (Coates et al. 2011), directory stl10_binary: {train,test}_X.bin with
/// {train,test}_y.bin, and unlabeled_X.bin. Images are 3×96×96 uint8 with each channel stored
/// column-major (MATLAB order: byte (c, x, y) at c·9216 + x·96 + y), which we transpose to
/// row-major CHW. Labels are bytes 1..10, stored as 0..9. The full unlabeled split (100 000
/// images, 2.76 GB) exceeds one array: load it with a limit of at most 77 672 images.
/// </summary>
public static class Stl10Reader
{
    public const int Side = 96, ImageBytes = 3 * Side * Side;

    public static readonly IReadOnlyList<string> ClassNames =
        ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"];

    public static ImageDataset Load(string path, DataSplit split, Normalization? normalization = null, int? limit = null)
    {
        string marker = split switch { DataSplit.Train => "train_X.bin", DataSplit.Test => "test_X.bin", _ => "unlabeled_X.bin" };
        string dir = CifarReader.ResolveDir(path, "stl10_binary", marker, "stl10");
        string xPath = Path.Combine(dir, marker);
        long len = DataFile.Length(xPath);
        if (len == 0 || len % ImageBytes != 0)
            throw new DataFormatException(xPath, $"expected a non-zero multiple of {ImageBytes} bytes (3×96×96 per image), found {len} bytes.");
        long count = len / ImageBytes;
        int n = (int)Math.Min(count, limit ?? int.MaxValue);
        DataFile.CheckFitsInArray(xPath, n, ImageBytes);

        int[] labels;
        if (split == DataSplit.Unlabeled)
        {
            labels = new int[n];
            Array.Fill(labels, -1);
        }
        else
        {
            string yPath = Path.Combine(dir, split == DataSplit.Train ? "train_y.bin" : "test_y.bin");
            long yLen = DataFile.Length(yPath);
            if (yLen != count)
                throw new DataFormatException(yPath, $"expected {count} labels (one byte per image of {Path.GetFileName(xPath)}), found {yLen}.");
            var bytes = new byte[n];
            using (var ys = DataFile.OpenRead(yPath)) DataFile.ReadExactly(ys, yPath, bytes, 0, $"{n} labels");
            labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                if (bytes[i] < 1 || bytes[i] > 10)
                    throw new DataFormatException(yPath, $"label {i}: expected 1..10, found {bytes[i]}.");
                labels[i] = bytes[i] - 1;
            }
        }

        var pixels = new byte[(long)n * ImageBytes];
        var colMajor = new byte[ImageBytes];
        using (var xs = DataFile.OpenRead(xPath))
        {
            for (int i = 0; i < n; i++)
            {
                DataFile.ReadExactly(xs, xPath, colMajor, (long)i * ImageBytes, $"image {i}");
                TransposeToRowMajor(colMajor, pixels.AsSpan(i * ImageBytes, ImageBytes));
            }
        }
        var names = DataFile.ReadNames(Path.Combine(dir, "class_names.txt"), 10, ClassNames);
        return new ImageDataset("stl10", 3, Side, Side, pixels, labels, names, normalization);
    }

    /// <summary>dest[c, y, x] = src[c, x, y] for each of the 3 channel planes.</summary>
    internal static void TransposeToRowMajor(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        const int plane = Side * Side;
        for (int c = 0; c < 3; c++)
        {
            var s = src.Slice(c * plane, plane);
            var d = dest.Slice(c * plane, plane);
            for (int x = 0; x < Side; x++)
                for (int y = 0; y < Side; y++)
                    d[y * Side + x] = s[x * Side + y];
        }
    }
}
