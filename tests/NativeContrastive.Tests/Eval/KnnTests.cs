using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Methods;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Eval;

public class KnnTests
{
    [TestCase(1, 1, 1)]
    [TestCase(3, 17, 5)]
    [TestCase(4, 40, 40)]
    [TestCase(2, 300, 200)]
    public void TopKMatchesSortWithTiesByLowerIndex(int rows, int cols, int k)
    {
        using var scope = TensorScope.Begin();
        var rng = new Random(rows * 1000 + cols);
        // Values on a coarse grid so ties are common.
        var s = Enumerable.Range(0, rows * cols).Select(_ => rng.Next(-5, 6) / 4f).ToArray();
        var scores = Tensor.FromArray(GradCheck.Cpu, s, rows, cols);
        var values = Tensor.Empty(GradCheck.Cpu, rows, k);
        var indices = IntTensor.Empty(GradCheck.Cpu, rows, k);
        GradCheck.Cpu.TopKRows(scores, rows, cols, k, values, indices);
        var v = values.ToArray();
        var ix = indices.ToArray();
        for (int r = 0; r < rows; r++)
        {
            var expected = Enumerable.Range(0, cols).OrderByDescending(c => s[r * cols + c]).ThenBy(c => c).Take(k).ToArray();
            Assert.That(ix.AsSpan(r * k, k).ToArray(), Is.EqualTo(expected), $"row {r}");
            Assert.That(v.AsSpan(r * k, k).ToArray(), Is.EqualTo(expected.Select(c => s[r * cols + c]).ToArray()), $"row {r}");
        }
    }

    [Test]
    public void TopKRejectsKAboveColumns()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Cpu.TopKRows(Tensor.Zeros(GradCheck.Cpu, 1, 3), 1, 3, 4, Tensor.Empty(GradCheck.Cpu, 1, 4), IntTensor.Empty(GradCheck.Cpu, 1, 4)));
    }

    [Test]
    public void VoteMatchesLoop()
    {
        using var scope = TensorScope.Begin();
        int rows = 3, k = 6, n = 10, classes = 4;
        const float tau = 0.1f;
        var rng = new Random(3);
        var vals = Enumerable.Range(0, rows * k).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var idx = Enumerable.Range(0, rows * k).Select(_ => rng.Next(n)).ToArray();
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var outT = Tensor.Empty(GradCheck.Cpu, rows, classes);
        GradCheck.Cpu.KnnVote(Tensor.FromArray(GradCheck.Cpu, vals, rows, k), IntTensor.FromArray(GradCheck.Cpu, idx, rows, k),
                              IntTensor.FromArray(GradCheck.Cpu, labels), rows, k, classes, tau, outT);
        var got = outT.ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < classes; c++)
            {
                double e = 0;
                for (int j = 0; j < k; j++) if (labels[idx[r * k + j]] == c) e += Math.Exp(vals[r * k + j] / tau);
                Assert.That(got[r * classes + c], Is.EqualTo(e).Within(1e-5 * Math.Max(1, e)), $"row {r} class {c}");
            }
    }

    /// <summary>Unit vectors at angle θ in the plane.</summary>
    private static float[] Angles(params double[] theta) => theta.SelectMany(t => new[] { (float)Math.Cos(t), (float)Math.Sin(t) }).ToArray();

    [Test]
    public void TwoClassToyIsSolved()
    {
        using var scope = TensorScope.Begin();
        // Class 0 around angle 0, class 1 around angle π/2; each test point sits in its class's cone.
        var train = Tensor.FromArray(GradCheck.Cpu, Angles(-0.1, 0, 0.1, 1.47, 1.57, 1.67), 6, 2);
        var test = Tensor.FromArray(GradCheck.Cpu, Angles(0.05, 1.6, -0.2, 1.3), 4, 2);
        var r = KnnEvaluator.Evaluate(train, [0, 0, 0, 1, 1, 1], test, [0, 1, 0, 1], 2, k: 3);
        Assert.That((r.Top1, r.Top5, r.Count), Is.EqualTo((1.0, 1.0, 4)));
        // Wrong labels on the test side give 0 top-1 (and top-5 = 1 with only two classes).
        var wrong = KnnEvaluator.Evaluate(train, [0, 0, 0, 1, 1, 1], test, [1, 0, 1, 0], 2, k: 3);
        Assert.That((wrong.Top1, wrong.Top5), Is.EqualTo((0.0, 1.0)));
    }

    [Test]
    public void WeightsFavourCloseNeighbours()
    {
        using var scope = TensorScope.Begin();
        // One very close class-0 neighbour against two far class-1 neighbours: with τ = 0.1,
        // exp(1/τ) ≫ 2·exp(0.2/τ), so the weighted vote picks class 0 where a majority vote would not.
        var train = Tensor.FromArray(GradCheck.Cpu, Angles(0, 1.37, -1.37), 3, 2);
        var test = Tensor.FromArray(GradCheck.Cpu, Angles(0), 1, 2);
        Assert.That(KnnEvaluator.Evaluate(train, [0, 1, 1], test, [0], 2, k: 3).Top1, Is.EqualTo(1.0));
        Assert.That(KnnEvaluator.Evaluate(train, [0, 1, 1], test, [0], 2, k: 3, temperature: 100f).Top1, Is.EqualTo(0.0));
    }

    [Test]
    public void Top5AtLeastTop1AndKIsClampedAndChunkingIsInvisible()
    {
        using var scope = TensorScope.Begin();
        const int n = 30, q = 25, d = 5, classes = 10;
        var rng = new Random(5);
        var train = GradCheck.Random(1, -1, 1, n, d);
        var test = GradCheck.Random(2, -1, 1, q, d);
        var trainLabels = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var testLabels = Enumerable.Range(0, q).Select(_ => rng.Next(classes)).ToArray();
        var r = KnnEvaluator.Evaluate(train, trainLabels, test, testLabels, classes, k: 7, chunk: 4);
        Assert.That(r.Top5, Is.GreaterThanOrEqualTo(r.Top1));
        Assert.That(r, Is.EqualTo(KnnEvaluator.Evaluate(train, trainLabels, test, testLabels, classes, k: 7, chunk: 1000)));
        // k > N: every training sample votes, the same as k = N.
        Assert.That(KnnEvaluator.Evaluate(train, trainLabels, test, testLabels, classes, k: 200),
                    Is.EqualTo(KnnEvaluator.Evaluate(train, trainLabels, test, testLabels, classes, k: n)));
        Assert.Throws<ArgumentOutOfRangeException>(() => KnnEvaluator.Evaluate(train, trainLabels, test, testLabels.Select(_ => classes).ToArray(), classes));
    }

    [Test]
    public void AccuracyMatchesBruteForce()
    {
        using var scope = TensorScope.Begin();
        const int n = 40, q = 30, d = 6, classes = 7, k = 9;
        const float tau = 0.1f;
        var rng = new Random(8);
        var tr = TinySgd.RandomArray(3, n * d);
        var te = TinySgd.RandomArray(4, q * d);
        var trainLabels = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var testLabels = Enumerable.Range(0, q).Select(_ => rng.Next(classes)).ToArray();
        static double[] Unit(float[] a, int r, int d)
        {
            var v = a.AsSpan(r * d, d).ToArray().Select(x => (double)x).ToArray();
            double norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }
        int top1 = 0, top5 = 0;
        for (int i = 0; i < q; i++)
        {
            var t = Unit(te, i, d);
            var sims = Enumerable.Range(0, n).Select(j => Unit(tr, j, d).Zip(t, (a, b) => a * b).Sum()).ToArray();
            var nn = Enumerable.Range(0, n).OrderByDescending(j => sims[j]).ThenBy(j => j).Take(k);
            var votes = new double[classes];
            foreach (int j in nn) votes[trainLabels[j]] += Math.Exp(sims[j] / tau);
            var ranked = Enumerable.Range(0, classes).OrderByDescending(c => votes[c]).ThenBy(c => c).ToArray();
            if (ranked[0] == testLabels[i]) top1++;
            if (ranked.Take(5).Contains(testLabels[i])) top5++;
        }
        var r = KnnEvaluator.Evaluate(Tensor.FromArray(GradCheck.Cpu, tr, n, d), trainLabels, Tensor.FromArray(GradCheck.Cpu, te, q, d), testLabels, classes, k, tau, chunk: 8);
        Assert.That((r.Top1, r.Top5, r.Count), Is.EqualTo(((double)top1 / q, (double)top5 / q, q)));
    }
}
