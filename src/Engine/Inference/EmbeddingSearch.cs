using System.Globalization;
using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Inference;

/// <summary>The neighbours of one query.</summary>
public sealed record SearchResult(int Query, string QuerySource, int QueryLabel, IReadOnlyList<Neighbor> Neighbors);

/// <summary>
/// `nc search`: queries against an embedding file. The queries are embedded with the checkpoint the
/// index was made from (its path in the index metadata, checked against the stored SHA-256, or one
/// given explicitly), then ranked by cosine over the chosen embedding (encoder features or head).
/// </summary>
public static class EmbeddingSearch
{
    /// <summary>The checkpoint to embed queries with: <paramref name="given"/>, else the index's, whose checksum must match.</summary>
    public static string CheckpointFor(EmbeddingSet index, string indexPath, string? given)
    {
        if (given is not null) return given;
        if (!index.Metadata.TryGetValue("checkpoint", out var path))
            throw new ArgumentException($"{indexPath}: the index names no checkpoint; give --checkpoint.");
        if (!File.Exists(path))
            throw new ArgumentException($"{indexPath}: its checkpoint {path} is gone; give --checkpoint (the one the index was made with).");
        if (index.Metadata.TryGetValue("checkpoint_sha256", out var sha) && InferenceModel.FileSha256(path) != sha)
            throw new ArgumentException($"{indexPath}: {path} changed since the index was made (SHA-256 differs); give --checkpoint explicitly or re-embed.");
        return path;
    }

    /// <summary>Ranks the index rows for every query row (same embedding kind on both sides).</summary>
    public static IReadOnlyList<SearchResult> Search(EmbeddingSet index, EmbeddingSet queries, string embedding, int k, bool excludeSameSource = false)
    {
        var (rows, dim) = index.Select(embedding);
        var (q, qdim) = queries.Select(embedding);
        if (qdim != dim) throw new ArgumentException($"queries have {qdim}-d {embedding}, the index {dim}-d: made with another model?");
        var results = new List<SearchResult>(queries.Count);
        for (int i = 0; i < queries.Count; i++)
        {
            int exclude = excludeSameSource ? IndexOf(index, queries.Sources[i]) : -1;
            var nn = NearestNeighbors.Search(rows, dim, q.AsSpan(i * dim, dim), k, exclude);
            results.Add(new SearchResult(i, queries.Sources[i], queries.Labels[i], nn));
        }
        return results;
    }

    private static int IndexOf(EmbeddingSet index, string source)
    {
        for (int i = 0; i < index.Count; i++) if (index.Sources[i] == source) return i;
        return -1;
    }

    /// <summary>
    /// The images of the index rows as they are stored (data set split reloaded as the index recorded it;
    /// files decoded from the index's root at their own size), for drawing.
    /// </summary>
    public static Func<int, SheetImage> ImagesOf(EmbeddingSet index)
    {
        var meta = index.Metadata;
        int channels = meta.TryGetValue("in_channels", out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : 3;
        string kind = meta.GetValueOrDefault(EmbeddingInput.KindKey, "");
        if (kind == EmbeddingInput.DatasetKind && meta["dataset"] != "folder")
        {
            int? limit = meta.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : null;
            var split = Enum.Parse<DataSplit>(meta["split"], ignoreCase: true);
            var ds = DatasetCatalog.Load(meta["dataset"], meta.GetValueOrDefault("data_path"), split, limit);
            if (ds.Count < index.Count) throw new ArgumentException($"{meta["dataset"]} {meta["split"]} has {ds.Count} images now, the index {index.Count}.");
            return i => new SheetImage(ds.Image(i).ToArray(), ds.Channels, ds.Height, ds.Width);
        }
        string root = meta.GetValueOrDefault("root") ?? throw new ArgumentException("the index records no image root to draw its images from.");
        return i => FileImage(Path.Combine(root, index.Sources[i]), channels);
    }

    /// <summary>An image file decoded at its own size with <paramref name="channels"/> channels.</summary>
    public static SheetImage FileImage(string path, int channels)
    {
        var ds = ImageFolderReader.LoadFiles([path], [-1], [], channels);
        return new SheetImage(ds.Pixels, ds.Channels, ds.Height, ds.Width);
    }
}
