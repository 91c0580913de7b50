using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Eval;

/// <summary>A k-means partition: the cluster of each point, the centroids [K, D] row-major, the Lloyd iterations run, the final inertia (Σ squared distance to the assigned centroid) and whether the assignments stopped changing.</summary>
public sealed record KMeansResult(int[] Assignments, float[] Centroids, int K, int Dim, int Iterations, double Inertia, bool Converged);

/// <summary>
/// k-means (Lloyd's algorithm) with k-means++ seeding (Arthur and Vassilvitskii 2007), on the
/// backend that holds the points:
/// <list type="number">
/// <item>Seeding: the first centre is a uniformly drawn point, each next one a point drawn with
/// probability ∝ D(x)², its squared distance to the nearest centre so far. The distances to a new
/// centre are one GEMM x·c (‖x − c‖² = ‖x‖² + ‖c‖² − 2x·c); the draws come from the seeded stream
/// <see cref="EvalStreams.KMeans"/> (53-bit uniforms), so a seed gives the same centres anywhere the
/// GEMM gives the same numbers.</item>
/// <item>Assignment: the nearest centroid of x is argmax_c (x·c − ½‖c‖²): one GEMM [N, K], the row
/// vector −½‖c‖² added (<see cref="IBackend.AddRowVector"/>) and <see cref="IBackend.ArgMaxRows"/>
/// (ties to the lower centroid index). Only the N assignments and their scores come to the host.</item>
/// <item>Update: Σ of the points per cluster by <see cref="IBackend.ScatterAddRows"/>, divided by the
/// counts on the host (K·D values). A cluster left empty takes the point farthest from its
/// centroid (as scikit-learn relocates empty clusters), then the next farthest for the next one.</item>
/// </list>
/// Stops when no assignment changes (Lloyd's fixed point) or after <c>maxIterations</c>. On the
/// cpu a seed gives the same partition bit for bit; on a device the per-cluster sums are atomic
/// adds, so a centroid's last bits (and, on a near tie, an assignment) may differ between runs. With
/// <c>restarts</c> &gt; 1 the seeding and Lloyd run again from the next draws and the lowest inertia wins.
/// </summary>
public static class KMeans
{
    public const int DefaultMaxIterations = 300;

    public static KMeansResult Fit(Tensor points, int k, ulong seed, int maxIterations = DefaultMaxIterations, int restarts = 1)
    {
        if (points.Rank != 2) throw new ArgumentException($"KMeans: points must be [N, D], got {ShapeUtil.Format(points.Shape)}.");
        int n = points.Dim(0), d = points.Dim(1);
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"KMeans: k must be in [1, {n}] (the number of points), got {k}.");
        if (maxIterations < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), $"KMeans: maxIterations must be ≥ 1, got {maxIterations}.");
        if (restarts < 1) throw new ArgumentOutOfRangeException(nameof(restarts), $"KMeans: restarts must be ≥ 1, got {restarts}.");
        var be = points.Backend;
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();

        // ‖x‖² per point, on the host (the distances below are formed from it).
        var squares = points.EmptyLike();
        be.Mul(points, points, squares);
        var norms = Tensor.Empty(be, n);
        be.SumRows(squares, n, d, norms);
        var pointNorms = norms.ToArray();

        var rng = EvalStreams.Create(seed, EvalStreams.KMeans);
        KMeansResult? best = null;
        for (int attempt = 0; attempt < restarts; attempt++)
        {
            var result = Lloyd(points, pointNorms, Seed(points, pointNorms, k, rng), k, maxIterations);
            if (best is null || result.Inertia < best.Inertia) best = result;
        }
        return best!;
    }

    /// <summary>k-means++ centres [K, D] (host copy of the chosen points).</summary>
    private static float[] Seed(Tensor points, float[] pointNorms, int k, Randomness.RandomStream rng)
    {
        int n = points.Dim(0), d = points.Dim(1);
        var be = points.Backend;
        using var scope = TensorScope.Begin();
        var centres = new float[k * d];
        var nearest = new double[n];
        Array.Fill(nearest, double.PositiveInfinity);
        var dots = Tensor.Empty(be, n);
        var dotsHost = new float[n];
        var row = new float[d];
        int chosen = rng.NextInt(n);
        for (int c = 0; c < k; c++)
        {
            using (var index = IntTensor.FromArray(be, [chosen]))
            using (var inner = TensorScope.Begin())
            {
                var centre = Tensor.Empty(be, 1, d);
                be.GatherRows(points, index, centre, d);
                be.CopyToHost(centre, row);
                row.CopyTo(centres, c * d);
                if (c == k - 1) break;
                // dots = X·c, then D(x)² = min over centres of ‖x‖² + ‖c‖² − 2x·c (≥ 0).
                be.Gemm(false, true, n, 1, d, 1f, points, 0, centre, 0, 0f, dots, 0);
            }
            be.CopyToHost(dots, dotsHost);
            double cn = pointNorms[chosen];
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double dist = Math.Max(0.0, pointNorms[i] + cn - 2.0 * dotsHost[i]);
                if (dist < nearest[i]) nearest[i] = dist;
                total += nearest[i];
            }
            chosen = total > 0 ? Draw(nearest, total, rng.NextDouble()) : rng.NextInt(n);
        }
        return centres;
    }

    /// <summary>The index i where the running sum of weights first exceeds u·total (the last positive weight at worst).</summary>
    private static int Draw(double[] weights, double total, double u)
    {
        double target = u * total, run = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            run += weights[i];
            if (run > target) return i;
        }
        return last;
    }

    private static KMeansResult Lloyd(Tensor points, float[] pointNorms, float[] centres, int k, int maxIterations)
    {
        int n = points.Dim(0), d = points.Dim(1);
        var be = points.Backend;
        using var scope = TensorScope.Begin();
        var c = Tensor.Empty(be, k, d);
        var bias = Tensor.Empty(be, k);
        var scores = Tensor.Empty(be, n, k);
        var bestScore = Tensor.Empty(be, n);
        var sums = Tensor.Empty(be, k, d);
        using var assign = IntTensor.Empty(be, n);
        var assignment = new int[n];
        var previous = new int[n];
        var best = new float[n];
        var sumsHost = new float[k * d];
        var biasHost = new float[k];
        int iterations = 0;
        bool converged = false;
        double inertia = 0;
        while (true)
        {
            // Assignment: argmax_c x·c − ½‖c‖².
            be.CopyFromHost(centres, c);
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                for (int t = 0; t < d; t++) s += (double)centres[j * d + t] * centres[j * d + t];
                biasHost[j] = (float)(-0.5 * s);
            }
            be.CopyFromHost(biasHost, bias);
            be.Gemm(false, true, n, k, d, 1f, points, 0, c, 0, 0f, scores, 0);
            be.AddRowVector(scores, bias, n, k, scores);
            be.ArgMaxRows(scores, n, k, bestScore, assign);
            be.CopyToHost(assign, assignment);
            be.CopyToHost(bestScore, best);
            inertia = 0;
            for (int i = 0; i < n; i++) inertia += Math.Max(0.0, pointNorms[i] - 2.0 * best[i]);
            if (iterations > 0 && assignment.AsSpan().SequenceEqual(previous)) { converged = true; break; }
            if (iterations == maxIterations) break;
            iterations++;
            assignment.CopyTo(previous, 0);

            // Update: per-cluster sums on the backend, means on the host.
            be.Fill(sums, 0f);
            be.ScatterAddRows(points, assign, sums, d);
            be.CopyToHost(sums, sumsHost);
            var counts = new int[k];
            foreach (int a in assignment) counts[a]++;
            int[]? farthest = null;
            int relocated = 0;
            for (int j = 0; j < k; j++)
            {
                if (counts[j] > 0)
                {
                    float inv = 1f / counts[j];
                    for (int t = 0; t < d; t++) centres[j * d + t] = sumsHost[j * d + t] * inv;
                    continue;
                }
                // Empty: the point farthest from its centroid (largest ‖x‖² − 2·score), ties by index.
                farthest ??= Enumerable.Range(0, n).OrderByDescending(i => pointNorms[i] - 2.0 * best[i]).ThenBy(i => i).ToArray();
                int p = farthest[Math.Min(relocated++, n - 1)];
                using var index = IntTensor.FromArray(be, [p]);
                using var inner = TensorScope.Begin();
                var row = Tensor.Empty(be, 1, d);
                be.GatherRows(points, index, row, d);
                be.CopyToHost(row, centres.AsSpan(j * d, d));
            }
        }
        return new KMeansResult(assignment, centres, k, d, iterations, inertia, converged);
    }
}
