namespace NativeContrastive.Engine.Data;

/// <summary>
/// N images of C×H×W uint8, stored image after image, each in CHW order (plane by plane,
/// rows top to bottom): pixel (n, c, y, x) is Pixels[((n·C + c)·H + y)·W + x]. Host-side only;
/// the caller uploads what it needs. Labels are class indices in 0..NumClasses−1, or −1 for
/// unlabeled images.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(string name, int channels, int height, int width, byte[] pixels, int[] labels,
        IReadOnlyList<string> classNames, Normalization? normalization = null)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"{name}: image shape must be positive, got {channels}×{height}×{width}.");
        long imageBytes = (long)channels * height * width;
        if (pixels.LongLength != imageBytes * labels.Length)
            throw new ArgumentException($"{name}: {labels.Length} labels need {imageBytes * labels.Length} pixel bytes, got {pixels.LongLength}.");
        foreach (int l in labels)
            if (l < -1 || l >= classNames.Count)
                throw new ArgumentException($"{name}: label {l} outside −1..{classNames.Count - 1}.");
        Name = name;
        Channels = channels;
        Height = height;
        Width = width;
        Pixels = pixels;
        Labels = labels;
        ClassNames = classNames;
        Normalization = normalization ?? Normalization.Identity;
        IsLabeled = Array.Exists(labels, l => l >= 0);
    }

    public string Name { get; }

    public int Count => Labels.Length;

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Bytes per image, C·H·W.</summary>
    public int ImageBytes => Channels * Height * Width;

    /// <summary>(N, C, H, W) uint8, contiguous.</summary>
    public byte[] Pixels { get; }

    /// <summary>(N) class index, −1 when unlabeled.</summary>
    public int[] Labels { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public int NumClasses => ClassNames.Count;

    /// <summary>The data set's usual per-channel mean/std (from the catalog; computed for folders).</summary>
    public Normalization Normalization { get; }

    /// <summary>True when at least one image carries a label.</summary>
    public bool IsLabeled { get; }

    /// <summary>Image n as C×H×W bytes.</summary>
    public ReadOnlySpan<byte> Image(int n) => Pixels.AsSpan(n * ImageBytes, ImageBytes);

    /// <summary>The first <paramref name="n"/> images (all of them when n ≥ Count): what --limit selects.</summary>
    public ImageDataset Take(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"Take needs n ≥ 0, got {n}.");
        if (n >= Count) return this;
        return new ImageDataset(Name, Channels, Height, Width, Pixels.AsSpan(0, n * ImageBytes).ToArray(),
            Labels.AsSpan(0, n).ToArray(), ClassNames, Normalization);
    }

    /// <summary>
    /// The images of <paramref name="parts"/> one after the other (e.g. STL-10 train + unlabeled
    /// for pre-training). Shapes must agree; names and classes come from the first part.
    /// </summary>
    public static ImageDataset Concat(params ImageDataset[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat needs at least one data set.");
        var first = parts[0];
        long total = 0;
        foreach (var p in parts)
        {
            if (p.Channels != first.Channels || p.Height != first.Height || p.Width != first.Width)
                throw new ArgumentException($"Concat: {p.Name} is {p.Channels}×{p.Height}×{p.Width}, {first.Name} is {first.Channels}×{first.Height}×{first.Width}.");
            total += p.Pixels.LongLength;
        }
        if (total > Array.MaxLength)
            throw new ArgumentException($"Concat: {total} pixel bytes exceed the largest array ({Array.MaxLength}); take fewer images.");
        var pixels = new byte[total];
        var labels = new int[parts.Sum(p => p.Count)];
        long at = 0;
        int li = 0;
        foreach (var p in parts)
        {
            p.Pixels.CopyTo(pixels, at);
            p.Labels.CopyTo(labels, li);
            at += p.Pixels.LongLength;
            li += p.Count;
        }
        return new ImageDataset(string.Join("+", parts.Select(p => p.Name)), first.Channels, first.Height, first.Width,
            pixels, labels, first.ClassNames, first.Normalization);
    }
}
