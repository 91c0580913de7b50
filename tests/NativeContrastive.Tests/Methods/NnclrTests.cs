using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Methods.Nnclr;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Methods;

/// <summary>
/// NNCLR: the support set (seeded init, ring with wrap, nearest neighbour with ties), the four-term
/// loss against the Keras example's formula in double and by finite differences, the whole method's
/// loss against a host re-computation (nearest neighbours found in double), the straight-through
/// gradient path, the queue update, checkpoint state, and the three monitoring metrics on
/// hand-computed cases.
/// </summary>
public class NnclrTests
{
    private const int C = 2, S = 3, F = 6, D = 4;

    private static NnclrMethod Make(int queue = 7, bool predictor = false, ulong seed = 5)
    {
        var options = new NnclrOptions { QueueSize = queue, Predictor = predictor, PredictorHiddenDim = 5 };
        var pred = predictor ? new FlattenLinear(GradCheck.Cpu, D, D, 3) : null;
        return new NnclrMethod(new FlattenLinear(GradCheck.Cpu, C * S * S, F, 1), new FlattenLinear(GradCheck.Cpu, F, D, 2), pred, D, options, GradCheck.Cpu, seed);
    }

    private static TrainingBatch Batch(int b, int seed = 10, int[]? labels = null)
    {
        using var _ = TensorScope.Suspend();
        return new TrainingBatch([GradCheck.Random(seed, -1, 1, b, C, S, S), GradCheck.Random(seed + 1, -1, 1, b, C, S, S)],
                                 Enumerable.Range(0, b).ToArray(), labels ?? Enumerable.Range(0, b).Select(i => i % 3).ToArray());
    }

    private static double[][] UnitRows(float[] x, int rows, int cols) =>
        Enumerable.Range(0, rows).Select(r =>
        {
            var v = x.Skip(r * cols).Take(cols).Select(a => (double)a).ToArray();
            double n = Math.Sqrt(v.Sum(a => a * a));
            return v.Select(a => a / n).ToArray();
        }).ToArray();

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    /// <summary>The example's loss in double: CE over the four [B, B] blocks, mean over 4B rows.</summary>
    private static double FourTermReference(double[][] nn, double[][] p, double tau)
    {
        int b = nn.Length / 2;
        double total = 0;
        void Block(Func<int, int, double> logit)
        {
            for (int i = 0; i < b; i++)
            {
                double lse = Math.Log(Enumerable.Range(0, b).Sum(j => Math.Exp(logit(i, j) / tau)));
                total += lse - logit(i, i) / tau;
            }
        }
        Block((i, j) => Dot(nn[i], p[b + j]));       // nn(p1)·p2ᵀ
        Block((i, j) => Dot(p[b + i], nn[j]));       // p2·nn(p1)ᵀ
        Block((i, j) => Dot(nn[b + i], p[j]));       // nn(p2)·p1ᵀ
        Block((i, j) => Dot(p[i], nn[b + j]));       // p1·nn(p2)ᵀ
        return total / (4 * b);
    }

    // ---- support set -----------------------------------------------------------------------

    [Test]
    public void TheSupportSetStartsAsNormalisedGaussianRowsOfTheSeed()
    {
        using var a = new SupportSet(GradCheck.Cpu, 50, 8);
        using var b = new SupportSet(GradCheck.Cpu, 50, 8);
        using var c = new SupportSet(GradCheck.Cpu, 50, 8);
        a.InitializeRandom(3);
        b.InitializeRandom(3);
        c.InitializeRandom(4);
        var rows = a.Rows.ToArray();
        Assert.That(rows, Is.EqualTo(b.Rows.ToArray()), "same seed, same set");
        Assert.That(rows, Is.Not.EqualTo(c.Rows.ToArray()));
        for (int r = 0; r < 50; r++)
            Assert.That(rows.Skip(r * 8).Take(8).Sum(x => (double)x * x), Is.EqualTo(1).Within(1e-5), $"row {r} is a unit vector");
        Assert.That(rows.Count(x => x < 0), Is.InRange(150, 250), "signs of a centred distribution");
        Assert.That(a.Labels.ToArray(), Is.All.EqualTo(-1f));
        Assert.That(a.Next, Is.Zero);
    }

    [Test]
    public void PushOverwritesTheOldestRowsAndWraps()
    {
        using var q = new SupportSet(GradCheck.Cpu, 5, 2);
        using var scope = TensorScope.Begin();
        q.Push(Tensor.FromArray(GradCheck.Cpu, [1, 1, 2, 2, 3, 3], 3, 2), [1, 2, 3]);
        Assert.That(q.Next, Is.EqualTo(3));
        q.Push(Tensor.FromArray(GradCheck.Cpu, [4, 4, 5, 5, 6, 6], 3, 2), [4, 5, -1]);
        Assert.That(q.Next, Is.EqualTo(1));
        Assert.That(q.Rows.ToArray(), Is.EqualTo(new float[] { 6, 6, 2, 2, 3, 3, 4, 4, 5, 5 }));
        Assert.That(q.Labels.ToArray(), Is.EqualTo(new float[] { -1, 2, 3, 4, 5 }));
        Assert.Throws<ArgumentException>(() => q.Push(Tensor.Zeros(GradCheck.Cpu, 6, 2), new int[6]), "more rows than the set holds");
    }

    [Test]
    public void NearestIsTheLargestCosineWithTiesToTheLowestRow()
    {
        using var q = new SupportSet(GradCheck.Cpu, 4, 2);
        using var scope = TensorScope.Begin();
        q.Push(Tensor.FromArray(GradCheck.Cpu, [1, 0, 0, 1, -1, 0, 0.6f, 0.8f], 4, 2), [7, 8, 9, 10]);
        var index = q.Nearest(Tensor.FromArray(GradCheck.Cpu, [0.8f, 0.6f, 0, -1, 0, 1], 3, 2));
        Assert.That(index.ToArray(), Is.EqualTo(new[] { 3, 0, 1 }), "0.96 beats 0.8; rows 0 and 2 tie at 0 (lowest wins); an exact match");
        Assert.That(q.Gather(index).ToArray(), Is.EqualTo(new float[] { 0.6f, 0.8f, 1, 0, 0, 1 }));
        Assert.That(q.GatherLabels(index).ToArray(), Is.EqualTo(new float[] { 10, 7, 8 }));
    }

    // ---- loss ----------------------------------------------------------------------------------

    [Test]
    public void FourTermLossIsTheExamplesFormula()
    {
        int b = 3;
        var nn = GradCheck.Random(31, -1, 1, 2 * b, D);
        var p = GradCheck.Random(32, -1, 1, 2 * b, D);
        float loss = NnclrMethod.FourTermLoss(nn, p, 0.1f).Item();
        double expected = FourTermReference(
            Enumerable.Range(0, 2 * b).Select(r => nn.ToArray().Skip(r * D).Take(D).Select(x => (double)x).ToArray()).ToArray(),
            Enumerable.Range(0, 2 * b).Select(r => p.ToArray().Skip(r * D).Take(D).Select(x => (double)x).ToArray()).ToArray(), 0.1);
        Assert.That(loss, Is.EqualTo(expected).Within(1e-5 * Math.Abs(expected)));
    }

    [Test]
    public void FourTermLossGradient() =>
        GradCheck.Check(x => NnclrMethod.FourTermLoss(x[0], x[1], 0.5f), [GradCheck.Random(33, -1, 1, 4, 3), GradCheck.Random(34, -1, 1, 4, 3)], h: 1e-3);

    [TestCase(false)]
    [TestCase(true)]
    public void LossUsesTheNearestNeighboursOfTheProjections(bool predictor)
    {
        using var method = Make(queue: 9, predictor: predictor);
        using var batch = Batch(4);
        using var scope = TensorScope.Begin();
        using (Tape.NoGrad())
            method.Support.Push(Ops.L2Normalize(GradCheck.Random(40, -1, 1, 8, D)), new int[8]);   // unit rows to be found, plus one initial random row
        var queue = UnitRows(method.Support.Rows.ToArray(), 9, D);
        float loss;
        double[][] p, other;
        using (Tape.NoGrad())
        {
            loss = method.Loss(batch).Item();
            var z = method.Projector.Forward(method.Encoder.Forward(Ops.Concat(0, batch.Views[0], batch.Views[1])));
            p = UnitRows(z.ToArray(), 8, D);
            other = predictor ? UnitRows(method.Predictor!.Forward(z).ToArray(), 8, D) : p;
        }
        var nn = p.Select(v => queue.MaxBy(q => Dot(q, v))!).ToArray();
        Assert.That(loss, Is.EqualTo(FourTermReference(nn, other, 0.1)).Within(1e-5));
    }

    [Test]
    public void TheGradientGoesThroughTheNeighbourToTheProjectionAndNotIntoTheQueue()
    {
        using var method = Make();
        using var batch = Batch(3);
        using var scope = TensorScope.Begin();
        var before = method.Support.Rows.ToArray();
        Tape.Backward(method.Loss(batch));
        Assert.That(method.NamedParameters().Select(n => n.Name), Is.EqualTo(new[] { "encoder.weight", "encoder.bias", "projector.weight", "projector.bias" }));
        foreach (var (name, t) in method.NamedParameters())
            Assert.That(t.Grad!.ToArray().Sum(g => (double)g * g), Is.GreaterThan(1e-12), name);
        Assert.That(method.Support.Rows.RequiresGrad, Is.False);
        Assert.That(method.Support.Rows.Grad, Is.Null);
        Assert.That(method.Support.Rows.ToArray(), Is.EqualTo(before), "the loss does not touch the queue; the step's update does");
    }

    [Test]
    public void AfterTheStepTheQueueTakesView0sProjectionsAndLabels()
    {
        using var method = Make(queue: 5);
        using var batch = Batch(3, labels: [4, -1, 2]);
        using var scope = TensorScope.Begin();
        Tape.Backward(method.Loss(batch));
        float[] p1;
        using (Tape.NoGrad()) p1 = Ops.L2Normalize(method.Projector.Forward(method.Encoder.Forward(batch.Views[0]))).ToArray();
        var old = method.Support.Rows.ToArray();
        method.AfterOptimizerStep(batch);
        var rows = method.Support.Rows.ToArray();
        Assert.That(rows.Take(3 * D), Is.EqualTo(p1).Within(1e-6f), "rows 0..2: view 0's unit projections of the loss");
        Assert.That(rows.Skip(3 * D), Is.EqualTo(old.Skip(3 * D)), "rows 3..4 untouched");
        Assert.That(method.Support.Labels.ToArray(), Is.EqualTo(new float[] { 4, -1, 2, -1, -1 }));
        Assert.That(method.StateMetadata()[NnclrMethod.QueueNextKey], Is.EqualTo("3"));
        Assert.Throws<InvalidOperationException>(() => method.AfterOptimizerStep(batch), "one update per loss");
    }

    [Test]
    public void CheckpointStateNamesTheQueueAndItsPosition()
    {
        using var method = Make(predictor: true);
        Assert.That(method.StateDict().Select(s => s.Name), Is.EquivalentTo(new[]
        {
            "encoder.weight", "encoder.bias", "projector.weight", "projector.bias", "predictor.weight", "predictor.bias", "nnclr_queue", "nnclr_queue_labels",
        }));
        method.LoadStateMetadata(new Dictionary<string, string> { [NnclrMethod.QueueNextKey] = "6" });
        Assert.That(method.Support.Next, Is.EqualTo(6));
        // A position past the 7-row support set is a malformed checkpoint value (the checkpoint reports it naming the file).
        var e = Assert.Throws<FormatException>(() => method.LoadStateMetadata(new Dictionary<string, string> { [NnclrMethod.QueueNextKey] = "7" }));
        Assert.That(e!.Message, Does.Contain(NnclrMethod.QueueNextKey).And.Contain("0..6").And.Contain("'7'"));
        Assert.Throws<FormatException>(() => method.LoadStateMetadata(new Dictionary<string, string>()));
    }

    [Test]
    public void ABatchLargerThanTheQueueIsRefused()
    {
        using var method = Make(queue: 3);
        using var batch = Batch(4);
        using var scope = TensorScope.Begin();
        Assert.That(Assert.Throws<ArgumentException>(() => method.Loss(batch))!.Message, Does.Contain("--queue-size 3"));
    }

    // ---- metrics -------------------------------------------------------------------------------

    [Test]
    public void ContrastiveAccuracyOnAHandComputedCase()
    {
        using var scope = TensorScope.Begin();
        // View 1 swaps samples 1 and 2: S = f0·f1ᵀ is a permutation; only sample 0 finds itself, in both directions.
        var f0 = Tensor.FromArray(GradCheck.Cpu, [2, 0, 0, 0, 1, 0, 0, 0, 3], 3, 3);
        var f1 = Tensor.FromArray(GradCheck.Cpu, [1, 0, 0, 0, 0, 5, 0, 1, 0], 3, 3);
        Assert.That(NnclrMetrics.ContrastiveAccuracy(f0, f1), Is.EqualTo((2, 6)));
        Assert.That(NnclrMetrics.ContrastiveAccuracy(f0, f0), Is.EqualTo((6, 6)));
    }

    [Test]
    public void CorrelationAccuracyOnAHandComputedCase()
    {
        using var scope = TensorScope.Begin();
        // B = 4, F = 3. Feature 0 is 2× itself across the views (correlation 1); feature 1 of view 1 is
        // feature 2 of view 0 and vice versa (so rows 1 and 2 point at each other); and in a second
        // pair feature 2 is dead (all zero) in view 1: it cannot be right in either direction.
        float[] v0 = [0, 1, 0, 1, 1, 0, 2, 0, 1, 3, 1, 1];   // rows = samples: f0 = 0,1,2,3; f1 = 1,1,0,1; f2 = 0,0,1,1
        float[] v1 = [0, 0, 1, 2, 0, 1, 4, 1, 0, 6, 1, 1];   // f0 = 2·f0; f1 = old f2; f2 = old f1
        Assert.That(NnclrMetrics.CorrelationAccuracy(Tensor.FromArray(GradCheck.Cpu, v0, 4, 3), Tensor.FromArray(GradCheck.Cpu, v1, 4, 3)), Is.EqualTo((2, 6)));
        float[] v0b = [0, 0, 5, 1, 0, 1, 2, 1, 2, 3, 1, 0];   // f0 = 0,1,2,3; f1 = 0,0,1,1; f2 = 5,1,2,0
        float[] dead = [0, 0, 0, 2, 0, 0, 4, 1, 0, 6, 1, 0];  // f0 = 2·f0; f1 = the same 0,0,1,1; f2 = 0 (dead)
        Assert.That(NnclrMetrics.CorrelationAccuracy(Tensor.FromArray(GradCheck.Cpu, v0b, 4, 3), Tensor.FromArray(GradCheck.Cpu, dead, 4, 3)), Is.EqualTo((4, 6)),
            "features 0 and 1 right both ways; the dead feature 2 wrong both ways");
    }

    [Test]
    public void CorrelationAccuracyMatchesTheExamplesStandardisedCrossCorrelation()
    {
        using var scope = TensorScope.Begin();
        int b = 16, f = 7;
        var x0 = GradCheck.Random(50, -1, 1, b, f).ToArray();
        var noise = TinySgd.RandomArray(51, b * f);
        var x1 = x0.Select((v, i) => v + 2.5f * noise[i]).ToArray();   // correlation ≈ 0.4 with itself, ±0.25 with the others
        // Keras: z = (x − mean)/std per feature, C = z₀ᵀz₁/B, labels arange(F) for C and Cᵀ.
        double[,] Z(float[] x)
        {
            var z = new double[b, f];
            for (int j = 0; j < f; j++)
            {
                double m = Enumerable.Range(0, b).Average(i => x[i * f + j]);
                double sd = Math.Sqrt(Enumerable.Range(0, b).Average(i => (x[i * f + j] - m) * (x[i * f + j] - m)));
                for (int i = 0; i < b; i++) z[i, j] = (x[i * f + j] - m) / sd;
            }
            return z;
        }
        var z0 = Z(x0);
        var z1 = Z(x1);
        int right = 0;
        for (int i = 0; i < f; i++)
        {
            double Corr(int a, int c) => Enumerable.Range(0, b).Sum(k => z0[k, a] * z1[k, c]) / b;
            if (Enumerable.Range(0, f).MaxBy(j => Corr(i, j)) == i) right++;
            if (Enumerable.Range(0, f).MaxBy(j => Corr(j, i)) == i) right++;
        }
        Assert.That(NnclrMetrics.CorrelationAccuracy(Tensor.FromArray(GradCheck.Cpu, x0, b, f), Tensor.FromArray(GradCheck.Cpu, x1, b, f)), Is.EqualTo((right, 2 * f)));
        Assert.That(right, Is.InRange(1, 2 * f - 1), "a case with both outcomes");
    }

    [Test]
    public void NeighbourLabelAgreementCountsLabelledSamplesOfBothViews()
    {
        // B = 3; neighbours of view 0 then view 1. Sample 2 is unlabeled: its two neighbours are not counted;
        // a neighbour of unknown class (−1, an initial random row) is a miss.
        Assert.That(NnclrMetrics.LabelAgreement([1, 2, 5, 1, -1, 5], [1, 1, -1]), Is.EqualTo((2, 4)));
        Assert.That(NnclrMetrics.LabelAgreement([1, 1], [-1]), Is.EqualTo((0, 0)));
    }

    [Test]
    public void EndEpochReportsTheGatheredMetricsAndStartsAgain()
    {
        using var method = Make();
        using var batch = Batch(3, labels: [0, 1, 2]);
        using var scope = TensorScope.Begin();
        using (Tape.NoGrad())
        {
            method.Loss(batch);
            method.AfterOptimizerStep(batch);
            method.Loss(batch);
        }
        var m = method.EndEpoch(new EpochLosses(1, 1, 1, 2)).Metrics;
        Assert.That(m.Keys, Is.EquivalentTo(NnclrMetrics.Names));
        foreach (var v in m.Values) Assert.That(v, Is.InRange(0, 100));
        Assert.That(m[NnclrMetrics.NeighbourLabel], Is.GreaterThan(0), "after one push the batch's own view-0 rows are in the queue");
        Assert.That(method.EndEpoch(new EpochLosses(1, 1, 1, 0)).Metrics, Is.Empty);
    }
}
