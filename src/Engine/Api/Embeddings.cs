using NativeContrastive.Engine.Inference;

namespace NativeContrastive.Engine.Api;

/// <summary>A neighbour found by <see cref="Embeddings.Nearest"/>: the row and its cosine similarity.</summary>
/// <param name="Index">Row in the embeddings searched.</param>
/// <param name="Score">Cosine similarity to the query, in [−1, 1].</param>
/// <param name="Source">The row's source (file path relative to the common folder, or "#row").</param>
public readonly record struct Match(int Index, float Score, string Source);

/// <summary>
/// Embeddings of <see cref="Count"/> images: the encoder's features (<see cref="FeatureDim"/> values per
/// image) and, for a method with a head, the head's outputs (<see cref="HeadDim"/> values per image), as
/// they come out of the network (not normalised), with a source name per image.
/// </summary>
public sealed class Embeddings
{
    private readonly float[] features;
    private readonly float[]? head;

    internal Embeddings(int count, float[] features, int featureDim, float[]? head, IReadOnlyList<string> sources)
    {
        Count = count;
        this.features = features;
        FeatureDim = featureDim;
        this.head = head;
        HeadDim = head is null ? 0 : head.Length / count;
        Sources = sources;
    }

    internal static Embeddings Of(EmbeddingSet set) => new(set.Count, set.Features, set.FeatureDim, set.Head, set.Sources);

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Values per image of the encoder's features.</summary>
    public int FeatureDim { get; }

    /// <summary>Values per image of the head's output (0 without a head).</summary>
    public int HeadDim { get; }

    /// <summary>True when head outputs are present.</summary>
    public bool HasHead => head is not null;

    /// <summary>Where each image came from, in row order.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The encoder's features of image <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Features(int row) => features.AsSpan(Row(row) * FeatureDim, FeatureDim);

    /// <summary>The head's output for image <paramref name="row"/>; throws without a head.</summary>
    public ReadOnlySpan<float> Head(int row) =>
        head is null ? throw new InvalidOperationException("these embeddings have no head outputs (the method has no head).") : head.AsSpan(Row(row) * HeadDim, HeadDim);

    /// <summary>All features, [Count, FeatureDim] row-major (a copy).</summary>
    public float[] FeatureMatrix() => (float[])features.Clone();

    /// <summary>All head outputs, [Count, HeadDim] row-major (a copy), or null without a head.</summary>
    public float[]? HeadMatrix() => (float[]?)head?.Clone();

    /// <summary>
    /// The <paramref name="k"/> rows most similar to <paramref name="query"/> by cosine, best first (ties: lower
    /// row first), comparing features, or head outputs when <paramref name="useHead"/>; <paramref name="exclude"/>
    /// skips one row (e.g. the query's own).
    /// </summary>
    public IReadOnlyList<Match> Nearest(ReadOnlySpan<float> query, int k, bool useHead = false, int exclude = -1)
    {
        var (rows, dim) = useHead
            ? (head ?? throw new InvalidOperationException("these embeddings have no head outputs."), HeadDim)
            : (features, FeatureDim);
        return NearestNeighbors.Search(rows, dim, query, k, exclude).Select(n => new Match(n.Index, n.Score, Sources[n.Index])).ToArray();
    }

    private int Row(int row) => (uint)row < (uint)Count ? row : throw new ArgumentOutOfRangeException(nameof(row), $"row {row} outside 0..{Count - 1}.");
}
