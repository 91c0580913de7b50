using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Eval;

/// <summary>Retrieval scores of a set of embeddings, fractions in [0, 1] over the <paramref name="Queries"/> queries that have at least one same-class reference (<paramref name="LoneQueries"/> had none and are not counted).</summary>
public sealed record RetrievalScores(double PrecisionAt1, double RPrecision, double MapAtR, int Queries, int LoneQueries);

/// <summary>
/// Precision@1, R-precision and mAP@R with pytorch-metric-learning's AccuracyCalculator
/// definitions (Musgrave et al. 2020, "A Metric Learning Reality Check"), neighbours ranked by
/// cosine similarity:
/// <list type="bullet">
/// <item>R(q) = the number of references with q's label, less one when the query set is the reference
/// set (then q itself is never its own neighbour). A query with R = 0 is "lone" and left out of
/// every average; with no other query every score is 0 (as AccuracyCalculator).</item>
/// <item>precision@1 = fraction of queries whose nearest neighbour has their label.</item>
/// <item>R-precision = (same-label neighbours among the R(q) nearest) / R(q).</item>
/// <item>mAP@R = (1/R(q)) Σ_{i ≤ R(q)} P(i)·rel(i), P(i) the precision of the first i neighbours and
/// rel(i) = 1 when neighbour i has q's label.</item>
/// </list>
/// Ties in similarity rank the lower reference index first (<see cref="IBackend.TopKRows"/>); faiss,
/// which AccuracyCalculator uses, leaves their order unspecified. Unlike AccuracyCalculator, R is not
/// capped at 1023 neighbours (a limit of faiss on GPUs).
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>Query set = reference set (the usual evaluation of one embedded split).</summary>
    public static RetrievalScores Evaluate(Tensor embeddings, int[] labels, int chunk = 256) =>
        Evaluate(embeddings, labels, embeddings, labels, sameSource: true, chunk);

    /// <summary>
    /// Queries [Q, D] against references [N, D] (both L2-normalised here). <paramref name="sameSource"/>:
    /// query i is reference i (Q = N) and is excluded from its own neighbours. Work per chunk of queries:
    /// one GEMM of cosine similarities and a top-(max R) selection on the backend; the scores are
    /// counted on the host from the neighbours' indices.
    /// </summary>
    public static RetrievalScores Evaluate(Tensor queries, int[] queryLabels, Tensor references, int[] referenceLabels, bool sameSource, int chunk = 256)
    {
        if (queries.Rank != 2 || references.Rank != 2 || queries.Dim(1) != references.Dim(1))
            throw new ArgumentException($"RetrievalMetrics: embeddings must be [Q, D] and [N, D], got {ShapeUtil.Format(queries.Shape)} and {ShapeUtil.Format(references.Shape)}.");
        int q = queries.Dim(0), n = references.Dim(0), d = queries.Dim(1);
        if (queryLabels.Length != q || referenceLabels.Length != n)
            throw new ArgumentException($"RetrievalMetrics: {q} queries with {queryLabels.Length} labels, {n} references with {referenceLabels.Length} labels.");
        if (sameSource && q != n) throw new ArgumentException($"RetrievalMetrics: the same source needs as many queries as references, got {q} and {n}.");
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(chunk), $"RetrievalMetrics: chunk must be > 0, got {chunk}.");

        var counts = new Dictionary<int, int>();
        foreach (int l in referenceLabels) counts[l] = counts.GetValueOrDefault(l) + 1;
        int self = sameSource ? 1 : 0;
        var r = new int[q];
        int maxR = 0, lone = 0;
        for (int i = 0; i < q; i++)
        {
            r[i] = counts.GetValueOrDefault(queryLabels[i]) - self;
            if (r[i] <= 0) lone++;
            else maxR = Math.Max(maxR, r[i]);
        }
        if (maxR == 0) return new RetrievalScores(0, 0, 0, 0, lone);

        int fetch = Math.Min(n, maxR + self);
        var be = queries.Backend;
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var query = Ops.L2Normalize(queries);
        var reference = sameSource && ReferenceEquals(queries, references) ? query : Ops.L2Normalize(references);
        double p1 = 0, rp = 0, map = 0;
        var neighbours = new int[Math.Min(chunk, q) * fetch];
        for (int q0 = 0; q0 < q; q0 += chunk)
        {
            using var inner = TensorScope.Begin();
            int rows = Math.Min(chunk, q - q0);
            var scores = Tensor.Empty(be, rows, n);
            be.Gemm(false, true, rows, n, d, 1f, query, (long)q0 * d, reference, 0, 0f, scores, 0);
            var topV = Tensor.Empty(be, rows, fetch);
            using var topI = IntTensor.Empty(be, rows, fetch);
            be.TopKRows(scores, rows, n, fetch, topV, topI);
            be.CopyToHost(topI, neighbours.AsSpan(0, rows * fetch));
            for (int row = 0; row < rows; row++)
            {
                int qi = q0 + row, R = r[qi];
                if (R <= 0) continue;
                var (a, b, c) = Score(neighbours.AsSpan(row * fetch, fetch), sameSource ? qi : -1, queryLabels[qi], R, referenceLabels);
                p1 += a; rp += b; map += c;
            }
        }
        int counted = q - lone;
        return new RetrievalScores(p1 / counted, rp / counted, map / counted, counted, lone);
    }

    /// <summary>
    /// The three scores of one query from its ranked neighbours (reference indices, best first),
    /// skipping <paramref name="self"/> (−1: none): (precision@1, R-precision, AP@R).
    /// </summary>
    public static (double PrecisionAt1, double RPrecision, double ApAtR) Score(ReadOnlySpan<int> ranked, int self, int label, int r, int[] referenceLabels)
    {
        if (r <= 0) throw new ArgumentOutOfRangeException(nameof(r), $"RetrievalMetrics: R must be > 0, got {r}.");
        int rank = 0, hits = 0;
        double precisionSum = 0, first = 0;
        foreach (int j in ranked)
        {
            if (j == self) continue;
            if (rank == r) break;
            bool relevant = referenceLabels[j] == label;
            if (rank == 0) first = relevant ? 1 : 0;
            rank++;
            if (relevant)
            {
                hits++;
                precisionSum += hits / (double)rank;
            }
        }
        return (first, hits / (double)r, precisionSum / r);
    }
}
