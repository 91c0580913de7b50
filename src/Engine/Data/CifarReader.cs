namespace NativeContrastive.Engine.Data;

/// <summary>
/// CIFAR-10 / CIFAR-100 "binary version" (Krizhevsky 2009). Each record is the label byte(s)
/// then 3072 bytes: the 32×32 red plane, green plane, blue plane, rows top to bottom — already
/// CHW, so records copy straight in.
/// CIFAR-10: cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin, 1 label byte, names in
/// batches.meta.txt. CIFAR-100: cifar-100-binary/{train,test}.bin, a coarse then a fine label
/// byte (we use the fine one, 100 classes), names in fine_label_names.txt.
/// </summary>
public static class CifarReader
{
    public const int ImageBytes = 3 * 32 * 32;

    public static readonly IReadOnlyList<string> Cifar10ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static ImageDataset LoadCifar10(string path, DataSplit split, Normalization? normalization = null, int? limit = null)
    {
        string dir = ResolveDir(path, "cifar-10-batches-bin", "data_batch_1.bin", "cifar10");
        string[] files = split switch
        {
            DataSplit.Train => Enumerable.Range(1, 5).Select(i => Path.Combine(dir, $"data_batch_{i}.bin")).ToArray(),
            DataSplit.Test => [Path.Combine(dir, "test_batch.bin")],
            _ => throw new DataFormatException(dir, $"cifar10 has no {split} split (it has Train and Test)."),
        };
        var names = DataFile.ReadNames(Path.Combine(dir, "batches.meta.txt"), 10, Cifar10ClassNames);
        return Read("cifar10", files, labelBytes: 1, labelIndex: 0, numClasses: 10, names, normalization, limit);
    }

    public static ImageDataset LoadCifar100(string path, DataSplit split, Normalization? normalization = null, int? limit = null)
    {
        string dir = ResolveDir(path, "cifar-100-binary", "train.bin", "cifar100");
        string[] files = split switch
        {
            DataSplit.Train => [Path.Combine(dir, "train.bin")],
            DataSplit.Test => [Path.Combine(dir, "test.bin")],
            _ => throw new DataFormatException(dir, $"cifar100 has no {split} split (it has Train and Test)."),
        };
        var names = DataFile.ReadNames(Path.Combine(dir, "fine_label_names.txt"), 100, DataFile.NumberedNames(100));
        return Read("cifar100", files, labelBytes: 2, labelIndex: 1, numClasses: 100, names, normalization, limit);
    }

    /// <summary>
    /// The directory as published (it holds <paramref name="marker"/>) or its parent (it holds
    /// <paramref name="published"/>/<paramref name="marker"/>).
    /// </summary>
    internal static string ResolveDir(string path, string published, string marker, string name)
    {
        if (File.Exists(Path.Combine(path, marker))) return path;
        string inner = Path.Combine(path, published);
        if (File.Exists(Path.Combine(inner, marker))) return inner;
        if (!Directory.Exists(path)) throw new DataFormatException(path, $"{name}: directory not found.");
        throw new DataFormatException(path, $"{name}: expected {marker} in {path} or in {inner}, found neither.");
    }

    private static ImageDataset Read(string name, string[] files, int labelBytes, int labelIndex, int numClasses,
        IReadOnlyList<string> classNames, Normalization? normalization, int? limit)
    {
        int record = labelBytes + ImageBytes;
        var counts = new int[files.Length];
        long total = 0;
        for (int f = 0; f < files.Length; f++)
        {
            long len = DataFile.Length(files[f]);
            if (len == 0 || len % record != 0)
                throw new DataFormatException(files[f], $"expected a non-zero multiple of {record} bytes ({labelBytes} label byte(s) + {ImageBytes} pixels per record; a published batch has 10000 records, {10000L * record} bytes), found {len} bytes.");
            counts[f] = (int)(len / record);
            total += counts[f];
        }
        int n = (int)Math.Min(total, limit ?? int.MaxValue);
        DataFile.CheckFitsInArray(files[0], n, ImageBytes);
        var pixels = new byte[(long)n * ImageBytes];
        var labels = new int[n];
        var buf = new byte[record];
        int at = 0;
        for (int f = 0; f < files.Length && at < n; f++)
        {
            using var s = DataFile.OpenRead(files[f]);
            for (int r = 0; r < counts[f] && at < n; r++, at++)
            {
                DataFile.ReadExactly(s, files[f], buf, (long)r * record, $"record {r}");
                int label = buf[labelIndex];
                if (label >= numClasses)
                    throw new DataFormatException(files[f], $"record {r}: expected a label in 0..{numClasses - 1}, found {label}.");
                labels[at] = label;
                buf.AsSpan(labelBytes).CopyTo(pixels.AsSpan(at * ImageBytes, ImageBytes));
            }
        }
        return new ImageDataset(name, 3, 32, 32, pixels, labels, classNames, normalization);
    }
}
