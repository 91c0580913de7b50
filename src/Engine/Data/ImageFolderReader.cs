using StbImageSharp;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// A folder of class sub-folders of images (root/&lt;class&gt;/*.png|jpg|jpeg|bmp), classes
/// sorted by name (ordinal) and numbered from 0, files sorted by name within a class. Images are
/// decoded by StbImageSharp, converted to 1 (grey) or 3 (RGB) channels and resized with
/// antialiased bilinear to the requested size (default: the first image's size). A root with
/// image files and no sub-folders gives an unlabeled data set (labels −1).
/// </summary>
public static class ImageFolderReader
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>The most pixels a file may declare per byte it holds (see <see cref="ImageFileCheck"/>).</summary>
    public const int MaxPixelsPerFileByte = ImageFileCheck.MaxPixelsPerFileByte;

    /// <param name="size">(height, width) of the output images; null = the first image's size.</param>
    public static ImageDataset Load(string root, int channels = 3, (int Height, int Width)? size = null,
        int? limit = null, string name = "folder")
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"Image folders load as 1 or 3 channels, got {channels}.");
        if (!Directory.Exists(root)) throw new DataFormatException(root, "image folder not found.");
        var (files, labels, classNames) = List(root);
        if (files.Count == 0) throw new DataFormatException(root, $"expected images ({string.Join(", ", Extensions)}) in class sub-folders, found none.");
        int n = Math.Min(files.Count, limit ?? int.MaxValue);
        return LoadFiles(files.Take(n).ToList(), labels.Take(n).ToArray(), classNames, channels, size, name, root);
    }

    /// <summary>
    /// The image files <paramref name="root"/> holds, in the order <see cref="Load"/> reads them (classes
    /// by name, files by name), with their labels (−1 without class sub-folders) and the class names.
    /// </summary>
    public static (IReadOnlyList<string> Files, int[] Labels, IReadOnlyList<string> ClassNames) ListImages(string root)
    {
        if (!Directory.Exists(root)) throw new DataFormatException(root, "image folder not found.");
        var (files, labels, classNames) = List(root);
        return (files, labels.ToArray(), classNames);
    }

    /// <summary>True for the file extensions image folders are read with (.png, .jpg, .jpeg, .bmp).</summary>
    public static bool IsImageFile(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// Decodes <paramref name="files"/> into one data set of <paramref name="channels"/> (1 or 3) channels,
    /// resized to <paramref name="size"/> (null: the first image's), labelled by <paramref name="labels"/>
    /// (indices into <paramref name="classNames"/>, −1 unlabeled); normalisation: the images' own statistics.
    /// </summary>
    public static ImageDataset LoadFiles(IReadOnlyList<string> files, int[] labels, IReadOnlyList<string> classNames, int channels = 3,
        (int Height, int Width)? size = null, string name = "folder", string? source = null)
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"Image folders load as 1 or 3 channels, got {channels}.");
        if (files.Count == 0) throw new ArgumentException("LoadFiles: no image files given.");
        if (labels.Length != files.Count) throw new ArgumentException($"LoadFiles: {files.Count} files, {labels.Length} labels.");
        int n = files.Count;
        source ??= files[0];

        var first = Decode(files[0], channels);
        var (h, w) = size ?? (first.Height, first.Width);
        if (h <= 0 || w <= 0) throw new ArgumentException($"Image size must be positive, got {h}×{w}.");
        int imageBytes = channels * h * w;
        DataFile.CheckFitsInArray(source, n, imageBytes);
        var pixels = new byte[(long)n * imageBytes];
        try
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => new Resampler(),
                (i, _, resampler) =>
                {
                    var img = i == 0 ? first : Decode(files[i], channels);
                    StoreResized(img, channels, h, w, pixels.AsSpan(i * imageBytes, imageBytes), resampler);
                    return resampler;
                },
                _ => { });
        }
        catch (AggregateException ae) when (ae.Flatten().InnerExceptions.FirstOrDefault(x => x is DataFormatException) is { } dfe)
        {
            // Report the unreadable file itself, not the thread pool's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(dfe);
        }
        var ds0 = new ImageDataset(name, channels, h, w, pixels, labels, classNames);
        // Folders have no published statistics: use the images' own.
        return new ImageDataset(name, channels, h, w, pixels, ds0.Labels, classNames, Normalization.Compute(ds0));
    }

    /// <summary>dest (C×h×w) ← the decoded image, planar, resized when its size differs (rounded to bytes).</summary>
    private static void StoreResized(ImageResult img, int channels, int h, int w, Span<byte> dest, Resampler resampler)
    {
        var planar = ToPlanar(img.Data, img.Height, img.Width, channels);
        if (img.Height == h && img.Width == w) { planar.CopyTo(dest); return; }
        var f = new float[dest.Length];
        resampler.Resize(planar, channels, img.Height, img.Width, CropBox.Full(img.Height, img.Width), h, w, false, f);
        for (int k = 0; k < f.Length; k++) dest[k] = (byte)Math.Clamp(MathF.Round(f[k]), 0, 255);
    }

    private static (List<string> Files, List<int> Labels, IReadOnlyList<string> Classes) List(string root)
    {
        try
        {
            var classDirs = Directory.GetDirectories(root).OrderBy(Path.GetFileName, StringComparer.Ordinal).ToArray();
            var files = new List<string>();
            var labels = new List<int>();
            if (classDirs.Length == 0)
            {
                files.AddRange(ImagesIn(root));
                labels.AddRange(Enumerable.Repeat(-1, files.Count));
                return (files, labels, []);
            }
            for (int c = 0; c < classDirs.Length; c++)
                foreach (var f in ImagesIn(classDirs[c])) { files.Add(f); labels.Add(c); }
            return (files, labels, classDirs.Select(d => Path.GetFileName(d)!).ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(root, $"cannot list: {e.Message}", e);
        }
    }

    private static IEnumerable<string> ImagesIn(string dir) =>
        Directory.GetFiles(dir).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(Path.GetFileName, StringComparer.Ordinal);

    private static ImageResult Decode(string path, int channels)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot read: {e.Message}", e);
        }
        ImageFileCheck.Check(path, bytes);
        try
        {
            var img = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
            if (img?.Data == null || img.Width <= 0 || img.Height <= 0) throw new InvalidDataException("decoder returned no image");
            return img;
        }
        catch (Exception e)
        {
            throw new DataFormatException(path, $"not a readable PNG/JPEG/BMP image ({e.Message}).", e);
        }
    }

    /// <summary>Interleaved HWC (what decoders give) → planar CHW.</summary>
    private static byte[] ToPlanar(byte[] hwc, int h, int w, int channels)
    {
        if (channels == 1) return hwc;
        var chw = new byte[hwc.Length];
        int plane = h * w;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++)
                chw[c * plane + p] = hwc[p * channels + c];
        return chw;
    }
}
