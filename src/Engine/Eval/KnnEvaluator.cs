using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Weighted k-nearest-neighbour classification, the evaluation protocol of NPID (Wu et al.
/// 2018, §4.1; lemniscate's kNN): for a test feature f̂, similarities s_i = cos(f̂, v_i) to every
/// training feature, the top k neighbours vote for their class with weight exp(s_i/τ), and
/// the class with the largest total is the prediction. Defaults k = 200, τ = 0.1.
/// </summary>
public static class KnnEvaluator
{
    /// <summary>
    /// Top-1/top-5 accuracy of the weighted vote. Features are rows ([N, D] train, [Q, D]
    /// test); both are L2-normalised here (a no-op for <see cref="FeatureExtractor"/>'s output), so
    /// the GEMM gives cosine similarities. The test set is processed <paramref name="chunk"/>
    /// rows at a time, so memory is bounded by chunk·N scores. k larger than N is clamped
    /// to N (every training sample votes). Class-score ties rank the lower class index first.
    /// Labels must lie in [0, numClasses).
    /// </summary>
    public static KnnResult Evaluate(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels,
                                     int numClasses, int k = 200, float temperature = 0.1f, int chunk = 256)
    {
        if (trainFeatures.Rank != 2 || testFeatures.Rank != 2 || trainFeatures.Dim(1) != testFeatures.Dim(1))
            throw new ArgumentException($"KnnEvaluator: features must be [N, D] and [Q, D], got {ShapeUtil.Format(trainFeatures.Shape)} and {ShapeUtil.Format(testFeatures.Shape)}.");
        int n = trainFeatures.Dim(0), q = testFeatures.Dim(0), d = trainFeatures.Dim(1);
        if (trainLabels.Length != n) throw new ArgumentException($"KnnEvaluator: {n} train features but {trainLabels.Length} labels.");
        if (testLabels.Length != q) throw new ArgumentException($"KnnEvaluator: {q} test features but {testLabels.Length} labels.");
        if (numClasses <= 0) throw new ArgumentOutOfRangeException(nameof(numClasses), $"KnnEvaluator: numClasses must be > 0, got {numClasses}.");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"KnnEvaluator: k must be > 0, got {k}.");
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), $"KnnEvaluator: temperature must be > 0, got {temperature}.");
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(chunk), $"KnnEvaluator: chunk must be > 0, got {chunk}.");
        if (n == 0) throw new ArgumentException("KnnEvaluator: no training features to vote.");
        foreach (int l in trainLabels) if ((uint)l >= (uint)numClasses) throw new ArgumentOutOfRangeException(nameof(trainLabels), $"KnnEvaluator: train label {l} outside 0..{numClasses - 1}.");
        foreach (int l in testLabels) if ((uint)l >= (uint)numClasses) throw new ArgumentOutOfRangeException(nameof(testLabels), $"KnnEvaluator: test label {l} outside 0..{numClasses - 1}.");
        if (q == 0) return new KnnResult(0, 0, 0);

        int kk = Math.Min(k, n);
        var be = trainFeatures.Backend;
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var train = Ops.L2Normalize(trainFeatures);
        var test = Ops.L2Normalize(testFeatures);
        var labels = IntTensor.FromArray(be, trainLabels);
        int correct1 = 0, correct5 = 0;
        var classScores = new float[Math.Min(chunk, q) * numClasses];
        for (int q0 = 0; q0 < q; q0 += chunk)
        {
            using var inner = TensorScope.Begin();
            int rows = Math.Min(chunk, q - q0);
            // scores [rows, N] = test[q0 : q0+rows] · trainᵀ (cosine similarities).
            var scores = Tensor.Empty(be, rows, n);
            be.Gemm(false, true, rows, n, d, 1f, test, (long)q0 * d, train, 0, 0f, scores, 0);
            var topV = Tensor.Empty(be, rows, kk);
            var topI = IntTensor.Empty(be, rows, kk);
            be.TopKRows(scores, rows, n, kk, topV, topI);
            var votes = Tensor.Empty(be, rows, numClasses);
            be.KnnVote(topV, topI, labels, rows, kk, numClasses, temperature, votes);
            be.CopyToHost(votes, classScores.AsSpan(0, rows * numClasses));
            for (int r = 0; r < rows; r++)
            {
                int rank = RankOf(classScores.AsSpan(r * numClasses, numClasses), testLabels[q0 + r]);
                if (rank == 0) correct1++;
                if (rank < 5) correct5++;
            }
        }
        return new KnnResult((double)correct1 / q, (double)correct5 / q, q);
    }

    /// <summary>Position of class <paramref name="label"/> when classes are sorted by score (descending, ties by lower index).</summary>
    private static int RankOf(ReadOnlySpan<float> scores, int label)
    {
        float s = scores[label];
        int rank = 0;
        for (int c = 0; c < scores.Length; c++)
            if (scores[c] > s || (scores[c] == s && c < label)) rank++;
        return rank;
    }
}
