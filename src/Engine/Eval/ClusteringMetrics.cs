namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Agreement of two partitions of the same samples (class labels against cluster labels), with
/// scikit-learn's definitions (natural logarithms, labels compared only for equality):
/// <list type="bullet">
/// <item>H(U) = −Σ_i (a_i/N) log(a_i/N), a_i the size of part i;</item>
/// <item>MI(U, V) = Σ_ij (n_ij/N) log(N·n_ij / (a_i·b_j)), n_ij the contingency table, clipped at 0;</item>
/// <item>NMI = MI / max(mean(H(U), H(V)), ε) with the arithmetic mean (sklearn's default since 0.22);</item>
/// <item>AMI = (MI − E[MI]) / (mean(H(U), H(V)) − E[MI]) (Vinh, Epps and Bailey 2010), E[MI] under the
/// hypergeometric model of random partitions with the same part sizes, the denominator kept at
/// least ε away from 0 with its sign.</item>
/// </list>
/// Both are 1 when both partitions have a single part (or there are no samples): nothing is split,
/// which sklearn counts as a perfect match. ε = 2⁻⁵² (float64 machine epsilon).
/// </summary>
public static class ClusteringMetrics
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>Normalised mutual information (arithmetic normalisation).</summary>
    public static double Nmi(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        var t = Table.Of(truth, predicted);
        if (t.IsTrivial) return 1.0;
        double mi = t.MutualInformation();
        if (mi == 0) return 0.0;
        double normalizer = Math.Max(0.5 * (t.RowEntropy() + t.ColumnEntropy()), Eps);
        return mi / normalizer;
    }

    /// <summary>Adjusted mutual information (arithmetic normalisation).</summary>
    public static double Ami(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        var t = Table.Of(truth, predicted);
        if (t.IsTrivial) return 1.0;
        double mi = t.MutualInformation();
        double emi = t.ExpectedMutualInformation();
        double denominator = 0.5 * (t.RowEntropy() + t.ColumnEntropy()) - emi;
        denominator = denominator < 0 ? Math.Min(denominator, -Eps) : Math.Max(denominator, Eps);
        return (mi - emi) / denominator;
    }

    /// <summary>MI(U, V) in nats.</summary>
    public static double MutualInformation(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => Table.Of(a, b).MutualInformation();

    /// <summary>E[MI] of random partitions with the part sizes of <paramref name="a"/> and <paramref name="b"/> (nats).</summary>
    public static double ExpectedMutualInformation(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => Table.Of(a, b).ExpectedMutualInformation();

    /// <summary>H(U) in nats; 0 for a single part or no samples.</summary>
    public static double Entropy(ReadOnlySpan<int> labels) => Table.Of(labels, labels).RowEntropy();

    /// <summary>The contingency table of two labelings: counts n_ij, row sums a_i, column sums b_j, N.</summary>
    private sealed class Table
    {
        private readonly Dictionary<(int, int), long> cells = new();
        private long[] rows = [], cols = [];
        private long n;

        public static Table Of(ReadOnlySpan<int> u, ReadOnlySpan<int> v)
        {
            if (u.Length != v.Length) throw new ArgumentException($"ClusteringMetrics: {u.Length} labels against {v.Length}.");
            var t = new Table { n = u.Length };
            var ru = new Dictionary<int, int>();
            var rv = new Dictionary<int, int>();
            var a = new List<long>();
            var b = new List<long>();
            for (int s = 0; s < u.Length; s++)
            {
                if (!ru.TryGetValue(u[s], out int i)) { i = ru.Count; ru[u[s]] = i; a.Add(0); }
                if (!rv.TryGetValue(v[s], out int j)) { j = rv.Count; rv[v[s]] = j; b.Add(0); }
                a[i]++; b[j]++;
                t.cells[(i, j)] = t.cells.GetValueOrDefault((i, j)) + 1;
            }
            t.rows = a.ToArray();
            t.cols = b.ToArray();
            return t;
        }

        /// <summary>Both labelings have one part (or none).</summary>
        public bool IsTrivial => rows.Length == cols.Length && rows.Length <= 1;

        public double RowEntropy() => Entropy(rows);

        public double ColumnEntropy() => Entropy(cols);

        private double Entropy(long[] sizes)
        {
            if (n == 0) return 1.0;   // sklearn's entropy of no labels (never reached through Nmi/Ami)
            double logN = Math.Log(n), h = 0;
            foreach (long s in sizes)
                if (s > 0) h -= s / (double)n * (Math.Log(s) - logN);
            return h;
        }

        public double MutualInformation()
        {
            if (n == 0) return 0;
            double logN = Math.Log(n), mi = 0;
            // Summed in a fixed order (rows, then columns) so that the result does not depend on hashing.
            foreach (var ((i, j), nij) in cells.OrderBy(c => c.Key.Item1).ThenBy(c => c.Key.Item2))
                mi += nij / (double)n * (Math.Log(nij) + logN - Math.Log(rows[i]) - Math.Log(cols[j]));
            return Math.Max(mi, 0.0);
        }

        /// <summary>
        /// E[MI] = Σ_i Σ_j Σ_{nij = max(1, a_i + b_j − N)}^{min(a_i, b_j)} (nij/N) log(N·nij / (a_i b_j)) ·
        /// a_i! b_j! (N−a_i)! (N−b_j)! / (N! nij! (a_i−nij)! (b_j−nij)! (N−a_i−b_j+nij)!),
        /// the factorials through a table of log k! (exact sums of logs, no gamma function needed).
        /// 0 when either labeling has one part.
        /// </summary>
        public double ExpectedMutualInformation()
        {
            if (rows.Length == 1 || cols.Length == 1) return 0.0;
            int N = checked((int)n);
            var logFact = new double[N + 1];
            for (int k = 2; k <= N; k++) logFact[k] = logFact[k - 1] + Math.Log(k);
            double logN = Math.Log(N), emi = 0;
            foreach (long ai in rows)
                foreach (long bj in cols)
                {
                    int a = (int)ai, b = (int)bj;
                    double fixedPart = logFact[a] + logFact[b] + logFact[N - a] + logFact[N - b] - logFact[N];
                    double logAb = Math.Log(a) + Math.Log(b);
                    for (int nij = Math.Max(1, a + b - N); nij <= Math.Min(a, b); nij++)
                    {
                        double term2 = logN + Math.Log(nij) - logAb;
                        double gln = fixedPart - logFact[nij] - logFact[a - nij] - logFact[b - nij] - logFact[N - a - b + nij];
                        emi += nij / (double)N * term2 * Math.Exp(gln);
                    }
                }
            return emi;
        }
    }
}
