using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NativeContrastive.Engine.Eval;

/// <summary>Settings of <see cref="Tsne"/>; the defaults are scikit-learn's (1.2 and later) for the exact method.</summary>
public sealed record TsneOptions
{
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 1000;
    public double EarlyExaggeration { get; init; } = 12;
    public int ExaggerationIterations { get; init; } = 250;
    /// <summary>null = "auto": max(N / early exaggeration / 4, 50).</summary>
    public double? LearningRate { get; init; }
    public double MinGain { get; init; } = 0.01;
    /// <summary>Start from the first two principal components (scaled to std 1e-4) or from N(0, 1e-4²) draws.</summary>
    public bool PcaInit { get; init; } = true;
    public ulong Seed { get; init; } = 1;
}

/// <summary>A 2-D embedding: Y [N, 2] row-major, the final KL(P‖Q), and the iterations run.</summary>
public sealed record TsneResult(float[] Y, int Count, double KlDivergence, int Iterations);

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton 2008) with scikit-learn's optimisation schedule, O(N²)
/// time and memory per iteration (meant for a few thousand points):
/// <list type="number">
/// <item>Input affinities: squared Euclidean distances; per point a binary search (≤ 100 steps,
/// entropy tolerance 1e-5) for the precision β_i whose conditional distribution
/// p_{j|i} ∝ exp(−β_i d²_ij) has entropy log(perplexity) nats; P = (P_cond + P_condᵀ) / Σ, at least
/// 2⁻⁵² off the diagonal.</item>
/// <item>Output affinities: Student-t with one degree of freedom, q_ij = (1 + ‖y_i − y_j‖²)⁻¹ / Z.</item>
/// <item>Gradient ∂KL/∂y_i = 4 Σ_j (p_ij − q_ij)(1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j), in one pass per row as
/// 4(Σ_j p_ij w_ij (y_i − y_j) − Σ_j w_ij² (y_i − y_j) / Z) with w = (1 + d²)⁻¹.</item>
/// <item>Gradient descent with momentum 0.5 for the first 250 iterations (P multiplied by the early
/// exaggeration 12), 0.8 afterwards, and per-coordinate gains (+0.2 when the gradient changes sign
/// against the last update, ×0.8 otherwise, at least 0.01).</item>
/// </list>
/// Deterministic for a seed: rows are computed independently (in parallel, each in a fixed order
/// with 8-lane vectors) and the per-row sums are added in row order, so the result does not
/// depend on the number of threads. Start: PCA (subspace iteration from a fixed start, signs fixed
/// so the largest coordinate of each component is positive), or seeded Gaussian draws.
/// </summary>
public static class Tsne
{
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>t-SNE of the rows of <paramref name="data"/> [N, D] (row-major).</summary>
    public static TsneResult Fit(float[] data, int n, int dim, TsneOptions? options = null)
    {
        options ??= new TsneOptions();
        if (n < 2 || dim < 1 || data.Length != (long)n * dim)
            throw new ArgumentException($"Tsne: needs N ≥ 2 rows of D ≥ 1 values, got {data.Length} values for [{n}, {dim}].");
        if (!(options.Perplexity > 0) || options.Perplexity >= n)
            throw new ArgumentOutOfRangeException(nameof(options), $"Tsne: perplexity must be in (0, N = {n}), got {options.Perplexity}.");
        var distances = SquaredDistances(data, n, dim);
        var p = JointProbabilities(distances, n, options.Perplexity);
        float[] y = options.PcaInit ? PcaStart(data, n, dim) : RandomStart(n, options.Seed);
        return Optimise(p, y, n, options);
    }

    /// <summary>‖x_i − x_j‖² [N, N] from the rows (each pair once, through ‖x_i‖² + ‖x_j‖² − 2x_i·x_j in double, at least 0).</summary>
    public static float[] SquaredDistances(float[] data, int n, int dim)
    {
        var norms = new double[n];
        for (int i = 0; i < n; i++) norms[i] = TensorPrimitives.Dot<float>(data.AsSpan(i * dim, dim), data.AsSpan(i * dim, dim));
        var d = new float[(long)n * n];
        Parallel.For(0, n, i =>
        {
            var xi = data.AsSpan(i * dim, dim);
            for (int j = i + 1; j < n; j++)
            {
                double dot = TensorPrimitives.Dot<float>(xi, data.AsSpan(j * dim, dim));
                float v = (float)Math.Max(0.0, norms[i] + norms[j] - 2.0 * dot);
                d[(long)i * n + j] = v;
                d[(long)j * n + i] = v;
            }
        });
        return d;
    }

    /// <summary>Symmetric P [N, N] for <paramref name="perplexity"/> from squared distances (diagonal 0).</summary>
    public static float[] JointProbabilities(float[] distances, int n, double perplexity)
    {
        var conditional = new double[(long)n * n];
        double target = Math.Log(perplexity);
        Parallel.For(0, n, i =>
        {
            var row = conditional.AsSpan((int)((long)i * n), n);
            var dist = distances.AsSpan((int)((long)i * n), n);
            double beta = 1, lo = double.NegativeInfinity, hi = double.PositiveInfinity;
            for (int step = 0; step < 100; step++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) { row[j] = j == i ? 0 : Math.Exp(-dist[j] * beta); sum += row[j]; }
                if (sum == 0) sum = MachineEpsilon;
                double weighted = 0;
                for (int j = 0; j < n; j++) { row[j] /= sum; weighted += dist[j] * row[j]; }
                double entropy = Math.Log(sum) + beta * weighted;
                double diff = entropy - target;
                if (Math.Abs(diff) <= 1e-5) break;
                if (diff > 0)
                {
                    lo = beta;
                    beta = double.IsPositiveInfinity(hi) ? beta * 2 : (beta + hi) / 2;
                }
                else
                {
                    hi = beta;
                    beta = double.IsNegativeInfinity(lo) ? beta / 2 : (beta + lo) / 2;
                }
            }
        });
        double total = 0;
        for (long i = 0; i < (long)n * n; i++) total += conditional[i];   // = 2N·(each row sums to 1), then symmetrised below
        var p = new float[(long)n * n];
        double scale = 1.0 / Math.Max(total * 2, MachineEpsilon);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                p[(long)i * n + j] = i == j ? 0f : (float)Math.Max((conditional[(long)i * n + j] + conditional[(long)j * n + i]) * scale, MachineEpsilon);
        return p;
    }

    private static TsneResult Optimise(float[] p, float[] y, int n, TsneOptions o)
    {
        double lr = o.LearningRate ?? Math.Max(n / o.EarlyExaggeration / 4, 50);
        var update = new float[2 * n];
        var gains = new float[2 * n];
        Array.Fill(gains, 1f);
        var grad = new float[2 * n];
        var rowZ = new double[n];
        var ys = new float[n];
        var xs = new float[n];
        for (int it = 0; it < o.Iterations; it++)
        {
            bool early = it < o.ExaggerationIterations;
            float exaggeration = early ? (float)o.EarlyExaggeration : 1f;
            float momentum = early ? 0.5f : 0.8f;
            for (int i = 0; i < n; i++) { xs[i] = y[2 * i]; ys[i] = y[2 * i + 1]; }
            // Per row: attraction Σ p·w·(y_i − y_j), repulsion Σ w²·(y_i − y_j), and Σ_j w (its part of Z).
            var attraction = new double[2 * n];
            var repulsion = new double[2 * n];
            Parallel.For(0, n, i => Row(p, xs, ys, n, i, exaggeration, attraction, repulsion, rowZ));
            double z = 0;
            for (int i = 0; i < n; i++) z += rowZ[i];
            float invZ = (float)(1.0 / z);
            for (int t = 0; t < 2 * n; t++) grad[t] = (float)(4.0 * (attraction[t] - repulsion[t] * invZ));
            for (int t = 0; t < 2 * n; t++)
            {
                bool increase = update[t] * grad[t] < 0;
                gains[t] = Math.Max(increase ? gains[t] + 0.2f : gains[t] * 0.8f, (float)o.MinGain);
                update[t] = momentum * update[t] - (float)lr * (grad[t] * gains[t]);
                y[t] += update[t];
            }
        }
        return new TsneResult(y, n, KlDivergence(p, y, n), o.Iterations);
    }

    private static void Row(float[] p, float[] xs, float[] ys, int n, int i, float exaggeration,
                            double[] attraction, double[] repulsion, double[] rowZ)
    {
        var pRow = p.AsSpan((int)((long)i * n), n);
        float xi = xs[i], yi = ys[i];
        var vx = Vector256.Create(xi);
        var vy = Vector256.Create(yi);
        var one = Vector256.Create(1f);
        Vector256<float> ax = default, ay = default, rx = default, ry = default, zs = default;
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            var dx = vx - Vector256.Create<float>(xs.AsSpan(j, 8));
            var dy = vy - Vector256.Create<float>(ys.AsSpan(j, 8));
            var w = one / (one + dx * dx + dy * dy);
            var pw = Vector256.Create<float>(pRow.Slice(j, 8)) * w;
            ax += pw * dx; ay += pw * dy;
            var w2 = w * w;
            rx += w2 * dx; ry += w2 * dy;
            zs += w;
        }
        double sax = Vector256.Sum(ax), say = Vector256.Sum(ay), srx = Vector256.Sum(rx), sry = Vector256.Sum(ry), sz = Vector256.Sum(zs);
        for (; j < n; j++)
        {
            float dx = xi - xs[j], dy = yi - ys[j];
            float w = 1f / (1f + dx * dx + dy * dy);
            float pw = pRow[j] * w;
            sax += pw * dx; say += pw * dy;
            srx += w * w * dx; sry += w * w * dy;
            sz += w;
        }
        attraction[2 * i] = exaggeration * sax;
        attraction[2 * i + 1] = exaggeration * say;
        repulsion[2 * i] = srx;
        repulsion[2 * i + 1] = sry;
        rowZ[i] = sz - 1.0;   // j = i contributed w = 1 and nothing else
    }

    /// <summary>KL(P‖Q) = Σ_{i≠j} p_ij log(p_ij / q_ij) of an embedding.</summary>
    public static double KlDivergence(float[] p, float[] y, int n)
    {
        var rowZ = new double[n];
        var rowPlogP = new double[n];
        var rowPlogW = new double[n];
        Parallel.For(0, n, i =>
        {
            double z = 0, plp = 0, plw = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double w = 1.0 / (1.0 + dx * dx + dy * dy);
                z += w;
                double pij = p[(long)i * n + j];
                plp += pij * Math.Log(pij);
                plw += pij * Math.Log(w);
            }
            rowZ[i] = z; rowPlogP[i] = plp; rowPlogW[i] = plw;
        });
        double Z = 0, PlogP = 0, PlogW = 0, P = 0;
        for (int i = 0; i < n; i++) { Z += rowZ[i]; PlogP += rowPlogP[i]; PlogW += rowPlogW[i]; }
        for (long t = 0; t < (long)n * n; t++) P += p[t];
        // Σ p log(p/q) = Σ p log p − Σ p log w + (Σ p) log Z.
        return PlogP - PlogW + P * Math.Log(Z);
    }

    /// <summary>The first two principal components of the rows, scaled so that the first has standard deviation 1e-4 (scikit-learn's "pca" start).</summary>
    public static float[] PcaStart(float[] data, int n, int dim)
    {
        var mean = new double[dim];
        for (int i = 0; i < n; i++) for (int t = 0; t < dim; t++) mean[t] += data[i * dim + t];
        for (int t = 0; t < dim; t++) mean[t] /= n;
        var centred = new double[(long)n * dim];
        for (int i = 0; i < n; i++) for (int t = 0; t < dim; t++) centred[(long)i * dim + t] = data[i * dim + t] - mean[t];
        int comps = Math.Min(2, dim);
        // Subspace iteration on XᵀX from a fixed start, re-orthonormalised each step.
        var v = new double[comps][];
        for (int c = 0; c < comps; c++)
        {
            v[c] = new double[dim];
            for (int t = 0; t < dim; t++) v[c][t] = Math.Cos(0.7 * (t + 1) * (c + 1)) + (t % (c + 2) == 0 ? 1 : 0);
        }
        Orthonormalise(v);
        var xv = new double[n];
        for (int it = 0; it < 300; it++)
        {
            var next = new double[comps][];
            for (int c = 0; c < comps; c++)
            {
                for (int i = 0; i < n; i++)
                {
                    double s = 0;
                    for (int t = 0; t < dim; t++) s += centred[(long)i * dim + t] * v[c][t];
                    xv[i] = s;
                }
                next[c] = new double[dim];
                for (int i = 0; i < n; i++)
                    for (int t = 0; t < dim; t++) next[c][t] += centred[(long)i * dim + t] * xv[i];
            }
            Orthonormalise(next);
            double change = 0;
            for (int c = 0; c < comps; c++) change = Math.Max(change, 1 - Math.Abs(Dot(next[c], v[c])));
            v = next;
            if (change < 1e-12) break;
        }
        foreach (var comp in v)
        {
            int big = 0;
            for (int t = 1; t < dim; t++) if (Math.Abs(comp[t]) > Math.Abs(comp[big])) big = t;
            if (comp[big] < 0) for (int t = 0; t < dim; t++) comp[t] = -comp[t];
        }
        var y = new double[2 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < comps; c++)
            {
                double s = 0;
                for (int t = 0; t < dim; t++) s += centred[(long)i * dim + t] * v[c][t];
                y[2 * i + c] = s;
            }
        double m0 = 0, s0 = 0;
        for (int i = 0; i < n; i++) m0 += y[2 * i];
        m0 /= n;
        for (int i = 0; i < n; i++) s0 += (y[2 * i] - m0) * (y[2 * i] - m0);
        s0 = Math.Sqrt(s0 / n);
        double scale = s0 > 0 ? 1e-4 / s0 : 1e-4;
        return y.Select(t => (float)(t * scale)).ToArray();
    }

    private static float[] RandomStart(int n, ulong seed)
    {
        var rng = EvalStreams.Create(seed, EvalStreams.TsneInit);
        var y = new float[2 * n];
        for (int t = 0; t < y.Length; t++) y[t] = 1e-4f * rng.NextGaussian();
        return y;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int t = 0; t < a.Length; t++) s += a[t] * b[t];
        return s;
    }

    private static void Orthonormalise(double[][] v)
    {
        for (int c = 0; c < v.Length; c++)
        {
            for (int e = 0; e < c; e++)
            {
                double d = Dot(v[c], v[e]);
                for (int t = 0; t < v[c].Length; t++) v[c][t] -= d * v[e][t];
            }
            double norm = Math.Sqrt(Dot(v[c], v[c]));
            if (norm == 0) { v[c][c % v[c].Length] = 1; norm = 1; }
            for (int t = 0; t < v[c].Length; t++) v[c][t] /= norm;
        }
    }

    /// <summary>
    /// Trustworthiness T(k) of an embedding (Venna and Kaski 2001; scikit-learn's formula):
    /// 1 − 2/(N k (2N − 3k − 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i are the k nearest neighbours
    /// of i in the embedding that are not among its k nearest in the input, and r(i, j) is j's rank
    /// among i's input neighbours (1 = nearest). 1 = every embedded neighbourhood is a true one.
    /// </summary>
    public static double Trustworthiness(float[] inputSquaredDistances, float[] embedding, int n, int embeddingDim, int k)
    {
        if (k < 1 || k >= n / 2.0) throw new ArgumentOutOfRangeException(nameof(k), $"Trustworthiness: k must be in [1, N/2), got {k} for N = {n}.");
        var penalty = new double[n];
        Parallel.For(0, n, i =>
        {
            var inputOrder = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => inputSquaredDistances[(long)i * n + j]).ThenBy(j => j).ToArray();
            var rank = new int[n];
            for (int r = 0; r < inputOrder.Length; r++) rank[inputOrder[r]] = r + 1;
            var embedded = Enumerable.Range(0, n).Where(j => j != i).OrderBy(j =>
            {
                double s = 0;
                for (int t = 0; t < embeddingDim; t++) { double d = embedding[i * embeddingDim + t] - embedding[j * embeddingDim + t]; s += d * d; }
                return s;
            }).ThenBy(j => j).Take(k);
            double sum = 0;
            foreach (int j in embedded) sum += Math.Max(0, rank[j] - k);
            penalty[i] = sum;
        });
        double total = 0;
        foreach (double v in penalty) total += v;
        return 1.0 - 2.0 / (n * (double)k * (2.0 * n - 3.0 * k - 1.0)) * total;
    }
}
