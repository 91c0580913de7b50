using System.Globalization;
using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Inference;

/// <summary>
/// Images to embed with a name per image (its source) and how to find them again (<see cref="Origin"/>,
/// stored in the embedding file so `nc search` can draw the neighbours): either a split of a catalogued
/// data set (sources "fashion-mnist:test:17") or image files (sources relative to <see cref="Root"/>).
/// </summary>
public sealed record EmbeddingInput(ImageDataset Images, IReadOnlyList<string> Sources, IReadOnlyDictionary<string, string> Origin)
{
    public const string KindKey = "source_kind", DatasetKind = "dataset", FilesKind = "files";

    /// <summary>Directory the sources of image files are relative to (null for a data set).</summary>
    public string? Root => Origin.TryGetValue("root", out var r) ? r : null;

    /// <summary>
    /// A split of a data set as `nc train` reads it (<paramref name="dataset"/>, <paramref name="dataPath"/>,
    /// first <paramref name="limit"/> images); for "folder" the images are read with <paramref name="channels"/>
    /// channels at <paramref name="imageSize"/> (the model's), their files named in the sources.
    /// </summary>
    public static EmbeddingInput FromDataset(string dataset, string? dataPath, DataSplit split, int? limit, int channels, int imageSize)
    {
        string canon = DatasetCatalog.Canonical(dataset);
        var origin = new Dictionary<string, string>
        {
            [KindKey] = DatasetKind,
            ["dataset"] = canon,
            ["split"] = split.ToString().ToLowerInvariant(),
        };
        if (dataPath is not null) origin["data_path"] = Path.GetFullPath(dataPath);
        if (limit is int l) origin["limit"] = l.ToString(CultureInfo.InvariantCulture);
        if (canon == "folder")
        {
            // Same files, same order as DatasetCatalog.Load reads them; named by path.
            var images = DatasetCatalog.Load(canon, dataPath, split, limit, imageSize, channels);
            string root = Path.GetFullPath(dataPath!);
            string splitDir = Path.Combine(root, split.ToString().ToLowerInvariant());
            string dir = Directory.Exists(splitDir) ? splitDir : root;
            var files = ImageFolderReader.ListImages(dir).Files.Take(images.Count).Select(f => Path.GetRelativePath(root, f)).ToArray();
            origin["root"] = root;
            return new EmbeddingInput(images, files, origin);
        }
        var ds = DatasetCatalog.Load(canon, dataPath, split, limit);
        string prefix = $"{canon}:{origin["split"]}:";
        return new EmbeddingInput(ds, Enumerable.Range(0, ds.Count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)).ToArray(), origin);
    }

    /// <summary>
    /// Image files: each path is an image file or a folder (read as <see cref="ImageFolderReader"/> does: class
    /// sub-folders give labels, images directly in it are unlabeled). Decoded to <paramref name="channels"/>
    /// channels at <paramref name="imageSize"/>² pixels. Sources are relative to the common folder.
    /// </summary>
    public static EmbeddingInput FromPaths(IReadOnlyList<string> paths, int channels, int imageSize, int? limit = null)
    {
        if (paths.Count == 0) throw new ArgumentException("no image files or folders given.");
        var files = new List<string>();
        var labels = new List<int>();
        IReadOnlyList<string> classNames = [];
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                var (f, l, c) = ImageFolderReader.ListImages(p);
                if (f.Count == 0) throw new DataFormatException(p, "expected image files (.png, .jpg, .jpeg, .bmp), found none.");
                if (c.Count > 0)
                {
                    if (classNames.Count > 0 && !classNames.SequenceEqual(c)) throw new ArgumentException($"{p}: its classes differ from those of the folder before it.");
                    classNames = c;
                }
                files.AddRange(f.Select(Path.GetFullPath));
                labels.AddRange(l);
            }
            else if (File.Exists(p))
            {
                if (!ImageFolderReader.IsImageFile(p)) throw new DataFormatException(p, "not a .png, .jpg, .jpeg or .bmp file.");
                files.Add(Path.GetFullPath(p));
                labels.Add(-1);
            }
            else throw new DataFormatException(p, "no such image file or folder.");
        }
        if (limit is int n && n < files.Count) { files.RemoveRange(n, files.Count - n); labels.RemoveRange(n, labels.Count - n); }
        string root = CommonDirectory(files);
        var images = ImageFolderReader.LoadFiles(files, labels.ToArray(), classNames, channels, (imageSize, imageSize), "images", root);
        var origin = new Dictionary<string, string> { [KindKey] = FilesKind, ["root"] = root };
        return new EmbeddingInput(images, files.Select(f => Path.GetRelativePath(root, f)).ToArray(), origin);
    }

    private static string CommonDirectory(IReadOnlyList<string> files)
    {
        string common = Path.GetDirectoryName(files[0])!;
        foreach (var f in files)
            while (!Path.GetDirectoryName(f)!.Equals(common, StringComparison.Ordinal) &&
                   !Path.GetDirectoryName(f)!.StartsWith(common.EndsWith(Path.DirectorySeparatorChar) ? common : common + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                common = Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}
