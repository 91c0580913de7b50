namespace NativeContrastive.Engine.Data;

/// <summary>
/// MNIST-layout data sets (Fashion-MNIST, MNIST): {train,t10k}-{images-idx3,labels-idx1}-ubyte
/// in a directory, each file gzipped (".gz") or not. 1×28×28 images, 10 classes.
/// </summary>
public static class MnistReader
{
    public static readonly IReadOnlyList<string> FashionClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static readonly IReadOnlyList<string> DigitClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Loads a split; <paramref name="name"/> and <paramref name="classNames"/> say which data set it is.</summary>
    public static ImageDataset Load(string dir, DataSplit split, string name, IReadOnlyList<string> classNames,
        Normalization? normalization = null, int? limit = null)
    {
        string prefix = split switch
        {
            DataSplit.Train => "train",
            DataSplit.Test => "t10k",
            _ => throw new DataFormatException(dir, $"{name} has no {split} split (it has Train and Test)."),
        };
        string images = Find(dir, $"{prefix}-images-idx3-ubyte");
        string labels = Find(dir, $"{prefix}-labels-idx1-ubyte");
        uint imageCount = IdxReader.ReadCount(images, IdxReader.ImagesMagic);
        uint labelCount = IdxReader.ReadCount(labels, IdxReader.LabelsMagic);
        if (imageCount != labelCount)
            throw new DataFormatException(labels, $"expected {imageCount} labels (the image count of {Path.GetFileName(images)}), found {labelCount}.");
        var (n, rows, cols, pixels) = IdxReader.ReadImages(images, limit);
        var y = IdxReader.ReadLabels(labels, classNames.Count, limit);
        return new ImageDataset(name, 1, rows, cols, pixels, y, classNames, normalization);
    }

    /// <summary>The .gz file when present, else the uncompressed one; names both when neither exists.</summary>
    private static string Find(string dir, string stem)
    {
        string gz = Path.Combine(dir, stem + ".gz"), raw = Path.Combine(dir, stem);
        if (File.Exists(gz)) return gz;
        if (File.Exists(raw)) return raw;
        throw new DataFormatException(gz, $"file not found (nor {raw}).");
    }
}
