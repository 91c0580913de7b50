namespace NativeContrastive.Engine.Data;

/// <summary>
/// Data sets by name: where they live by default, how to read them and their usual
/// per-channel mean/std (of the training images, in [0, 1] units).
/// </summary>
public static class DatasetCatalog
{
    public static readonly IReadOnlyList<string> Names = ["fashion-mnist", "mnist", "cifar10", "cifar100", "stl10", "folder"];

    public const string FashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
    public const string MnistDefaultDir = "/usr/share/datasets/mnist";

    /// <summary>
    /// The usual statistics: Fashion-MNIST 0.2860/0.3530, MNIST 0.1307/0.3081, CIFAR-10
    /// (0.4914, 0.4822, 0.4465)/(0.2470, 0.2435, 0.2616), CIFAR-100 (0.5071, 0.4865, 0.4409)/
    /// (0.2673, 0.2564, 0.2762), STL-10 (0.4467, 0.4398, 0.4066)/(0.2603, 0.2566, 0.2713).
    /// Null for "folder" (computed from the images when loaded).
    /// </summary>
    public static Normalization? NormalizationFor(string name) => Canonical(name) switch
    {
        "fashion-mnist" => new([0.2860f], [0.3530f]),
        "mnist" => new([0.1307f], [0.3081f]),
        "cifar10" => new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]),
        "cifar100" => new([0.5071f, 0.4865f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]),
        "stl10" => new([0.4467f, 0.4398f, 0.4066f], [0.2603f, 0.2566f, 0.2713f]),
        _ => null,
    };

    /// <summary>
    /// Loads a split. <paramref name="path"/>: the data directory (null = the default where one
    /// exists). <paramref name="limit"/>: keep the first N images. For "folder":
    /// <paramref name="channels"/> (1 or 3) and <paramref name="imageSize"/> (square side; null =
    /// the first image's size); a root with train/ test/ unlabeled/ sub-folders is read per
    /// split, otherwise the root itself is the training split.
    /// </summary>
    public static ImageDataset Load(string name, string? path, DataSplit split, int? limit = null,
        int? imageSize = null, int channels = 3)
    {
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), $"limit must be ≥ 0, got {limit}.");
        string canon = Canonical(name);
        var norm = NormalizationFor(canon);
        switch (canon)
        {
            case "fashion-mnist":
                return MnistReader.Load(Dir(canon, path ?? FashionMnistDefaultDir), split, canon, MnistReader.FashionClassNames, norm, limit);
            case "mnist":
                return MnistReader.Load(Dir(canon, path ?? MnistDefaultDir), split, canon, MnistReader.DigitClassNames, norm, limit);
            case "cifar10":
                return CifarReader.LoadCifar10(Dir(canon, Required(canon, path)), split, norm, limit);
            case "cifar100":
                return CifarReader.LoadCifar100(Dir(canon, Required(canon, path)), split, norm, limit);
            case "stl10":
                return Stl10Reader.Load(Dir(canon, Required(canon, path)), split, norm, limit);
            case "folder":
                string root = Dir(canon, Required(canon, path));
                string splitDir = Path.Combine(root, split.ToString().ToLowerInvariant());
                bool hasSplits = new[] { "train", "test", "unlabeled" }.Any(s => Directory.Exists(Path.Combine(root, s)));
                if (hasSplits && !Directory.Exists(splitDir))
                    throw new DataFormatException(root, $"folder: expected a '{Path.GetFileName(splitDir)}' sub-folder for the {split} split, found none.");
                if (!hasSplits && split != DataSplit.Train)
                    throw new DataFormatException(root, $"folder: the {split} split needs a '{split.ToString().ToLowerInvariant()}' sub-folder (without train/test sub-folders the root is the Train split).");
                var size = imageSize is int s ? (s, s) : ((int, int)?)null;
                return ImageFolderReader.Load(hasSplits ? splitDir : root, channels, size, limit);
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Lower-cased name with aliases resolved; throws listing the known names.</summary>
    public static string Canonical(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashion_mnist" or "fashionmnist" or "fmnist" => "fashion-mnist",
        "mnist" => "mnist",
        "cifar10" or "cifar-10" => "cifar10",
        "cifar100" or "cifar-100" => "cifar100",
        "stl10" or "stl-10" => "stl10",
        "folder" or "imagefolder" => "folder",
        _ => throw new ArgumentException($"Unknown data set '{name}'; known: {string.Join(", ", Names)}."),
    };

    private static string Required(string name, string? path) =>
        path ?? throw new ArgumentException($"{name} has no default location here; give its directory (--data-dir).");

    private static string Dir(string name, string path) =>
        Directory.Exists(path) ? path : throw new DataFormatException(path, $"{name}: directory not found (searched {Path.GetFullPath(path)}).");
}
