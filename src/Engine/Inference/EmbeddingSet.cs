using System.Globalization;
using System.Text.Json;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Engine.Inference;

/// <summary>
/// Embeddings of N images: the encoder's features [N, F], the head's outputs [N, P] (absent for a
/// method without a head), a label per image (−1: none) and a source per image (a file relative to
/// the input's root, or "dataset:split:index"). As a safetensors file: tensors "features" (F32),
/// "head" (F32), "labels" (I64); metadata "format" = <see cref="FormatValue"/>, "sources" and
/// "class_names" (JSON arrays), the model ("checkpoint", "checkpoint_sha256", "method", "arch",
/// "image_size", "in_channels") and where the images came from ("source_kind", "dataset", "split",
/// "data_path", "limit", "root"). As .npy: FILE.npy (features), FILE.head.npy, FILE.labels.npy
/// (int64) and FILE.sources.txt (one source per line).
/// </summary>
public sealed class EmbeddingSet
{
    public const string FormatKey = "format", FormatValue = "nativecontrastive/embeddings-1";
    public const string FeaturesName = "features", HeadName = "head", LabelsName = "labels";

    public EmbeddingSet(int count, float[] features, int featureDim, float[]? head, int headDim, int[] labels,
        IReadOnlyList<string> sources, IReadOnlyList<string> classNames, IReadOnlyDictionary<string, string> metadata)
    {
        if (count <= 0) throw new ArgumentException($"an embedding set needs at least one row, got {count}.");
        if (features.LongLength != (long)count * featureDim) throw new ArgumentException($"features: expected {count}×{featureDim} values, got {features.LongLength}.");
        if (head is not null && head.LongLength != (long)count * headDim) throw new ArgumentException($"head: expected {count}×{headDim} values, got {head.LongLength}.");
        if (labels.Length != count || sources.Count != count) throw new ArgumentException($"expected {count} labels and sources, got {labels.Length} and {sources.Count}.");
        Count = count;
        Features = features;
        FeatureDim = featureDim;
        Head = head;
        HeadDim = head is null ? 0 : headDim;
        Labels = labels;
        Sources = sources;
        ClassNames = classNames;
        Metadata = metadata;
    }

    public int Count { get; }

    /// <summary>[Count, FeatureDim] row-major, the encoder's output.</summary>
    public float[] Features { get; }

    public int FeatureDim { get; }

    /// <summary>[Count, HeadDim] row-major, the head's output; null without a head.</summary>
    public float[]? Head { get; }

    public int HeadDim { get; }

    public int[] Labels { get; }

    public IReadOnlyList<string> Sources { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>"features" or "head": the rows and their width.</summary>
    public (float[] Rows, int Dim) Select(string which) => which switch
    {
        FeaturesName or "encoder" => (Features, FeatureDim),
        HeadName => Head is null ? throw new ArgumentException($"the embeddings of {Metadata.GetValueOrDefault("method", "this method")} have no head output; use the encoder features.") : (Head, HeadDim),
        _ => throw new ArgumentException($"unknown embedding '{which}'; expected features or head."),
    };

    /// <summary>A label's class name, or the label as text ("" when unlabeled).</summary>
    public string LabelName(int row) => Labels[row] < 0 ? "" : Labels[row] < ClassNames.Count ? ClassNames[Labels[row]] : Labels[row].ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes the safetensors file atomically (temp file + rename).</summary>
    public void Write(string path)
    {
        EnsureDirectory(path);
        var file = new SafeTensorsFile();
        file.AddFloat32(FeaturesName, [Count, FeatureDim], Features);
        if (Head is not null) file.AddFloat32(HeadName, [Count, HeadDim], Head);
        file.AddInt64(LabelsName, [Count], Labels.Select(l => (long)l).ToArray());
        foreach (var (k, v) in Metadata) file.Metadata[k] = v;
        file.Metadata[FormatKey] = FormatValue;
        file.Metadata["count"] = Count.ToString(CultureInfo.InvariantCulture);
        file.Metadata["sources"] = JsonSerializer.Serialize(Sources);
        file.Metadata["class_names"] = JsonSerializer.Serialize(ClassNames);
        file.Write(path);
    }

    /// <summary>Writes PATH.npy-style files next to each other (see the class summary), each atomically; returns their paths.</summary>
    public IReadOnlyList<string> WriteNpy(string path)
    {
        EnsureDirectory(path);
        string stem = path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? path[..^4] : path;
        var written = new List<string> { stem + ".npy" };
        NpyFile.WriteFloat32(written[0], Features, Count, FeatureDim);
        if (Head is not null)
        {
            written.Add(stem + ".head.npy");
            NpyFile.WriteFloat32(written[^1], Head, Count, HeadDim);
        }
        written.Add(stem + ".labels.npy");
        NpyFile.WriteInt64(written[^1], Labels.Select(l => (long)l).ToArray(), Count);
        written.Add(stem + ".sources.txt");
        AtomicFile.WriteAllText(written[^1], string.Join("\n", Sources) + "\n");
        return written;
    }

    /// <summary>Reads an embedding file written by <see cref="Write"/>; CheckpointFormatException naming the file otherwise.</summary>
    public static EmbeddingSet Read(string path)
    {
        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new CheckpointFormatException(path, $"not an embedding file: expected metadata {FormatKey} = '{FormatValue}', found '{format ?? "(none)"}'.");
        if (!file.TryGet(FeaturesName, out var f) || f.Shape.Length != 2 || f.DType != SafeTensorDType.F32)
            throw new CheckpointFormatException(path, $"expected an F32 tensor '{FeaturesName}' [N, F].");
        int n = f.Shape[0];
        float[]? head = null;
        int headDim = 0;
        if (file.TryGet(HeadName, out var h))
        {
            if (h.Shape.Length != 2 || h.Shape[0] != n || h.DType != SafeTensorDType.F32)
                throw new CheckpointFormatException(path, $"expected an F32 tensor '{HeadName}' [{n}, P], found {h.DType} [{string.Join(", ", h.Shape)}].");
            head = h.ToFloat32();
            headDim = h.Shape[1];
        }
        if (!file.TryGet(LabelsName, out var l) || l.Shape.Length != 1 || l.Shape[0] != n || l.DType != SafeTensorDType.I64)
            throw new CheckpointFormatException(path, $"expected an I64 tensor '{LabelsName}' [{n}].");
        var sources = Json(file, path, "sources");
        if (sources.Length != n) throw new CheckpointFormatException(path, $"expected {n} sources, found {sources.Length}.");
        var meta = new Dictionary<string, string>(file.Metadata);
        return new EmbeddingSet(n, f.ToFloat32(), f.Shape[1], head, headDim, l.ToInt64().Select(v => (int)v).ToArray(), sources,
            file.Metadata.ContainsKey("class_names") ? Json(file, path, "class_names") : [], meta);
    }

    /// <summary>Creates the folder a file is written into.</summary>
    internal static void EnsureDirectory(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
    }

    private static string[] Json(SafeTensorsFile file, string path, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var text)) throw new CheckpointFormatException(path, $"expected metadata '{key}', found none.");
        try { return JsonSerializer.Deserialize<string[]>(text) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new CheckpointFormatException(path, $"metadata '{key}': expected a JSON array of strings ({e.Message})."); }
    }
}
