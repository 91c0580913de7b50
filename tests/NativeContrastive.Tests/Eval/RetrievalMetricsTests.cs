using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends.Device;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Eval;

/// <summary>
/// precision@1, R-precision and mAP@R (pytorch-metric-learning's definitions) on hand-computed
/// cases: points on the unit circle whose neighbour order is known, an exact tie between two
/// identical points (the lower index ranks first), a class of size one (a lone query, left out),
/// a query excluded from its own neighbours, and separate query and reference sets.
/// </summary>
public class RetrievalMetricsTests
{
    // Angles (degrees) and labels: 0 and 1 are the same point with different labels.
    private static readonly (double Angle, int Label)[] Points =
        [(0, 0), (0, 1), (30, 0), (100, 1), (180, 2), (50, 0), (80, 1), (300, 3), (320, 3)];

    private static Tensor Circle(IBackend backend, IEnumerable<double> degrees)
    {
        var a = degrees.ToArray();
        var xy = a.SelectMany(d => new[] { (float)Math.Cos(d * Math.PI / 180), (float)Math.Sin(d * Math.PI / 180) }).ToArray();
        return Tensor.FromArray(backend, xy, a.Length, 2);
    }

    [Test]
    public void ScoreOfOneQuery()
    {
        int[] labels = [0, 1, 0, 0, 1, 0];
        // Ranked neighbours 3 (self, skipped), 1 (miss), 2 (hit), 5 (hit), 4: R = 3 → first three are 1, 2, 5.
        var (p1, rp, ap) = RetrievalMetrics.Score([3, 1, 2, 5, 4], self: 3, label: 0, r: 3, labels);
        Assert.That(p1, Is.EqualTo(0));
        Assert.That(rp, Is.EqualTo(2.0 / 3));
        Assert.That(ap, Is.EqualTo((0 + 1.0 / 2 + 2.0 / 3) / 3).Within(1e-15));   // P(2)·1 + P(3)·1 over R
        (p1, rp, ap) = RetrievalMetrics.Score([0, 2, 1], self: -1, label: 0, r: 2, labels);
        Assert.That((p1, rp, ap), Is.EqualTo((1.0, 1.0, 1.0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalMetrics.Score([0], -1, 0, 0, labels));
    }

    [Test]
    public void HandComputedCircleWithTieAndLoneClass() => CircleCase(CpuBackend.Instance);

    [Test]
    public void HandComputedCircleOnEmu() => CircleCase(EmuDevice.Backend);

    private static void CircleCase(IBackend backend)
    {
        using var scope = TensorScope.Begin();
        var x = Circle(backend, Points.Select(p => p.Angle));
        var r = RetrievalMetrics.Evaluate(x, Points.Select(p => p.Label).ToArray());
        // Per query (R = class size − 1; query 4 is the only one of class 2: lone):
        //  q0 A: 1(B) 2(A)  → P@1 0, RP 1/2, AP (0 + 1/2)/2 = 1/4
        //  q1 B: 0(A) 2(A)  → 0, 0, 0
        //  q2 A: 5(A) 0(A)  → 1, 1, 1   (0 and 1 tie exactly at cos 30°; the lower index wins)
        //  q3 B: 6(B) 5(A)  → 1, 1/2, 1/2
        //  q5 A: 2(A) 6(B)  → 1, 1/2, 1/2
        //  q6 B: 3(B) 5(A)  → 1, 1/2, 1/2
        //  q7, q8 D (R = 1): each other → 1, 1, 1
        Assert.That(r.LoneQueries, Is.EqualTo(1));
        Assert.That(r.Queries, Is.EqualTo(8));
        Assert.That(r.PrecisionAt1, Is.EqualTo(6.0 / 8).Within(1e-15));
        Assert.That(r.RPrecision, Is.EqualTo(5.0 / 8).Within(1e-15));
        Assert.That(r.MapAtR, Is.EqualTo(4.75 / 8).Within(1e-15));
    }

    [Test]
    public void ChunkingDoesNotChangeTheScores()
    {
        using var scope = TensorScope.Begin();
        var rng = new Random(2);
        int n = 157;
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(6)).ToArray();
        var x = Tensor.FromArray(CpuBackend.Instance, Enumerable.Range(0, n * 5).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), n, 5);
        var whole = RetrievalMetrics.Evaluate(x, labels, chunk: 1000);
        var chunked = RetrievalMetrics.Evaluate(x, labels, chunk: 16);
        Assert.That(chunked, Is.EqualTo(whole));
        // Against a direct per-query evaluation of the definitions.
        var f = x.ToArray();
        double p1 = 0, rp = 0, ap = 0;
        for (int q = 0; q < n; q++)
        {
            double Cos(int j)
            {
                double dot = 0, nq = 0, nj = 0;
                for (int t = 0; t < 5; t++) { dot += f[q * 5 + t] * f[j * 5 + t]; nq += f[q * 5 + t] * f[q * 5 + t]; nj += f[j * 5 + t] * f[j * 5 + t]; }
                return dot / Math.Sqrt(nq * nj);
            }
            int R = labels.Count(l => l == labels[q]) - 1;
            var order = Enumerable.Range(0, n).Where(j => j != q).OrderByDescending(Cos).ThenBy(j => j).Take(R).ToArray();
            p1 += labels[order[0]] == labels[q] ? 1 : 0;
            int hits = 0;
            double sum = 0;
            for (int i = 0; i < R; i++)
                if (labels[order[i]] == labels[q]) { hits++; sum += hits / (i + 1.0); }
            rp += hits / (double)R;
            ap += sum / R;
        }
        Assert.That(whole.PrecisionAt1, Is.EqualTo(p1 / n).Within(1e-12));
        Assert.That(whole.RPrecision, Is.EqualTo(rp / n).Within(1e-12));
        Assert.That(whole.MapAtR, Is.EqualTo(ap / n).Within(1e-12));
    }

    [Test]
    public void SeparateReferenceSetKeepsEveryNeighbourAndSkipsUnknownLabels()
    {
        using var scope = TensorScope.Begin();
        var cpu = CpuBackend.Instance;
        var reference = Circle(cpu, [0, 10, 90, 100, 200]);   // labels 0 0 1 1 2
        var queries = Circle(cpu, [5, 95, 180, 270]);         // labels 0 1 1 3 (3: not in the references → lone)
        var r = RetrievalMetrics.Evaluate(queries, [0, 1, 1, 3], reference, [0, 0, 1, 1, 2], sameSource: false);
        // q 5°: R = 2, neighbours 0, 10 (both 0) → 1, 1, 1. q 95°: R = 2, 90 and 100 → 1, 1, 1.
        // q 180°: R = 2, neighbours 200(2), 100(1) → P@1 0, RP 1/2, AP (0 + 1/2)/2 = 1/4.
        Assert.That(r.LoneQueries, Is.EqualTo(1));
        Assert.That(r.PrecisionAt1, Is.EqualTo(2.0 / 3).Within(1e-15));
        Assert.That(r.RPrecision, Is.EqualTo(2.5 / 3).Within(1e-15));
        Assert.That(r.MapAtR, Is.EqualTo(2.25 / 3).Within(1e-15));
    }

    [Test]
    public void OnlyLoneQueriesScoreZero()
    {
        using var scope = TensorScope.Begin();
        var x = Circle(CpuBackend.Instance, [0, 90, 180]);
        Assert.That(RetrievalMetrics.Evaluate(x, [0, 1, 2]), Is.EqualTo(new RetrievalScores(0, 0, 0, 0, 3)));
    }
}
