namespace NativeContrastive.Engine.Inference;

/// <summary>One neighbour of a query: the index row and its cosine similarity.</summary>
public readonly record struct Neighbor(int Index, float Score);

/// <summary>
/// Exact k-nearest-neighbour search by cosine similarity over rows of an index (host arrays; an index
/// of 10 000 × 512 answers a query in about a millisecond). Rows of zero length have similarity 0 to
/// everything. Ties rank the lower index first, so results are deterministic.
/// </summary>
public static class NearestNeighbors
{
    /// <summary>
    /// The <paramref name="k"/> rows of <paramref name="index"/> ([N, dim]) most similar to
    /// <paramref name="query"/> (dim values), best first; fewer when N &lt; k. Rows listed in
    /// <paramref name="exclude"/> are skipped (e.g. the query's own row).
    /// </summary>
    public static Neighbor[] Search(ReadOnlySpan<float> index, int dim, ReadOnlySpan<float> query, int k, int exclude = -1)
    {
        if (dim <= 0 || index.Length % dim != 0) throw new ArgumentException($"index of {index.Length} values is not a whole number of {dim}-d rows.");
        if (query.Length != dim) throw new ArgumentException($"query has {query.Length} values, the index rows {dim}.");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"k must be > 0, got {k}.");
        int n = index.Length / dim;
        float qn = Norm(query);
        var scores = new float[n];
        for (int i = 0; i < n; i++)
        {
            var row = index.Slice(i * dim, dim);
            float rn = Norm(row);
            scores[i] = qn > 0 && rn > 0 ? System.Numerics.Tensors.TensorPrimitives.Dot(row, query) / (rn * qn) : 0f;
        }
        var order = Enumerable.Range(0, n).Where(i => i != exclude)
            .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k);
        return order.Select(i => new Neighbor(i, scores[i])).ToArray();
    }

    private static float Norm(ReadOnlySpan<float> v) => MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v));
}
