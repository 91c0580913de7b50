using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Methods.Swav;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Methods;

/// <summary>Test-only encoder that works at any image size: global average pool, then y = x·Wᵀ + b.</summary>
public sealed class PoolLinear(IBackend backend, int channels, int outFeatures, int seed) : Module(backend)
{
    private readonly FlattenLinear linear = new(backend, channels, outFeatures, seed);

    public override Tensor Forward(Tensor x) => linear.Forward(Ops.GlobalAvgPool(x));

    public override void Dispose()
    {
        linear.Dispose();
        base.Dispose();
    }
}

public class SwavTests
{
    private const int C = 2, Hidden = 6, D = 4, K = 5;

    private static SwavMethod Make(SwavOptions options, int batchSize = 3)
    {
        var rng = new RandomStream(3, StreamId.Of(StreamId.Init));
        var prototypes = new Linear(GradCheck.Cpu, options.ProjectorOutDim, options.Prototypes, rng, bias: false);
        return new SwavMethod(new PoolLinear(GradCheck.Cpu, C, Hidden, 1), new FlattenLinear(GradCheck.Cpu, Hidden, options.ProjectorOutDim, 2),
                              prototypes, MultiCropPlan.Parse(options.MultiCrop, 12), options, batchSize);
    }

    private static SwavOptions Small(string multiCrop = "2x12,2x8", int queue = 0) => new()
    {
        Prototypes = K, ProjectorOutDim = D, MultiCrop = multiCrop, QueueLength = queue, FreezePrototypesIters = 2, Epsilon = 0.5f,
    };

    /// <summary>Views per the plan "2x12,2x8" style: sizes given; fixed random pixels per (seed, view).</summary>
    private static TrainingBatch Batch(int b, int seed, params int[] sizes)
    {
        using var _ = TensorScope.Suspend();
        var views = sizes.Select((s, v) => GradCheck.Random(seed * 31 + v, -1, 1, b, C, s, s)).ToArray();
        return new TrainingBatch(views, Enumerable.Range(0, b).ToArray(), new int[b]);
    }

    /// <summary>The official distributed_sinkhorn on one process, in double: Q = exp(s/ε)ᵀ, normalised, iterated, ×B, transposed back.</summary>
    private static double[,] Sinkhorn(double[,] scores, double eps, int iterations)
    {
        int b = scores.GetLength(0), k = scores.GetLength(1);
        var q = new double[k, b];
        double total = 0;
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) total += q[j, i] = Math.Exp(scores[i, j] / eps);
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) q[j, i] /= total;
        for (int it = 0; it < iterations; it++)
        {
            for (int j = 0; j < k; j++)
            {
                double r = 0; for (int i = 0; i < b; i++) r += q[j, i];
                for (int i = 0; i < b; i++) q[j, i] /= r * k;
            }
            for (int i = 0; i < b; i++)
            {
                double c = 0; for (int j = 0; j < k; j++) c += q[j, i];
                for (int j = 0; j < k; j++) q[j, i] /= c * b;
            }
        }
        var codes = new double[b, k];
        for (int i = 0; i < b; i++) for (int j = 0; j < k; j++) codes[i, j] = q[j, i] * b;
        return codes;
    }

    private static double[,] Matrix(float[] a, int rows, int cols, int firstRow = 0)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r, c] = a[(firstRow + r) * cols + c];
        return m;
    }

    /// <summary>The swapped-prediction loss of the paper (eq. 1–2) from z [V·B, D] and the prototypes, queue rows in front of the codes when given.</summary>
    private static double ReferenceLoss(float[] z, float[] c, int b, int views, SwavOptions o, float[][]? queue = null)
    {
        var s = new double[views * b, K];
        for (int r = 0; r < views * b; r++)
            for (int k = 0; k < K; k++)
            {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += (double)z[r * D + d] * c[k * D + d];
                s[r, k] = dot;
            }
        double loss = 0;
        for (int i = 0; i < 2; i++)
        {
            int extra = queue is null ? 0 : queue[i].Length / D;
            var all = new double[extra + b, K];
            for (int r = 0; r < extra; r++)
                for (int k = 0; k < K; k++)
                {
                    double dot = 0;
                    for (int d = 0; d < D; d++) dot += (double)queue![i][r * D + d] * c[k * D + d];
                    all[r, k] = dot;
                }
            for (int r = 0; r < b; r++) for (int k = 0; k < K; k++) all[extra + r, k] = s[i * b + r, k];
            var codes = Sinkhorn(all, o.Epsilon, o.SinkhornIterations);
            double sub = 0;
            for (int v = 0; v < views; v++)
            {
                if (v == i) continue;
                for (int r = 0; r < b; r++)
                {
                    double max = double.NegativeInfinity;
                    for (int k = 0; k < K; k++) max = Math.Max(max, s[v * b + r, k] / o.Temperature);
                    double sum = 0;
                    for (int k = 0; k < K; k++) sum += Math.Exp(s[v * b + r, k] / o.Temperature - max);
                    for (int k = 0; k < K; k++)
                        sub -= codes[extra + r, k] * (s[v * b + r, k] / o.Temperature - max - Math.Log(sum)) / b;
                }
            }
            loss += sub / (views - 1);
        }
        return loss / 2;
    }

    [Test]
    public void MultiCropPlansParseWithSwavsDefaultRanges()
    {
        var p = MultiCropPlan.Parse("2x100%,6x50%", 28);
        Assert.That(p.Groups, Is.EqualTo(new[] { new MultiCropPlan.Group(2, 28, 0.14f, 1f), new MultiCropPlan.Group(6, 14, 0.05f, 0.14f) }));
        Assert.That(p.ViewCount, Is.EqualTo(8));
        Assert.That(MultiCropPlan.Parse("2x32:0.2-1,4x16", 32).Groups[0], Is.EqualTo(new MultiCropPlan.Group(2, 32, 0.2f, 1f)));
        foreach (var bad in new[] { "", "1x32", "2x4", "2x7", "2x32:0.5-0.2", "2y32", "2x32,", "2x32:0-1", "70x32" })
            Assert.That(MultiCropPlan.Check(bad), Is.Not.Null, bad);
        var e = Assert.Throws<ArgumentException>(() => new Engine.Training.Configuration.TrainingConfig { Method = "swav" }.WithMethodOption("multi-crop", "1x28").Resolve())!;
        Assert.That(e.Message, Does.StartWith("--multi-crop").And.Contain("count ≥ 2"));
    }

    [Test]
    public void DefinitionPlansOneAugmentationPerViewWithTheGroupsSizesAndRanges()
    {
        var explicitPlan = new MethodOptionValues(new Dictionary<string, string> { ["multi-crop"] = "2x100%,6x50%" });
        var views = new SwavDefinition().Views(new ViewContext(28, 1, Engine.Data.Normalization.Identity, 9, 0.5f, null), explicitPlan);
        Assert.That(views.Select(v => (v.OutputSize, v.ScaleMin, v.ScaleMax)), Is.EqualTo(
            Enumerable.Repeat((28, 0.14f, 1f), 2).Concat(Enumerable.Repeat((14, 0.05f, 0.14f), 6))));
        Assert.That(views.All(v => v.Seed == 9 && v.RandomCrop), Is.True);
        var withCropScale = new SwavDefinition().Views(new ViewContext(28, 1, Engine.Data.Normalization.Identity, 9, 0.5f, 0.3f), explicitPlan);
        Assert.That(withCropScale.Select(v => v.ScaleMin), Is.EqualTo(new[] { 0.3f, 0.3f }.Concat(Enumerable.Repeat(0.05f, 6))), "--crop-scale-min sets the full-size group's");
    }

    [Test]
    public void AutoPlanAddsSwavsSmallCropsOnlyForLargeImages()
    {
        Assert.That(MultiCropPlan.Parse("auto", 28).Groups, Is.EqualTo(new[] { new MultiCropPlan.Group(2, 28, 0.14f, 1f) }));
        Assert.That(MultiCropPlan.Parse("auto", 224).Groups, Is.EqualTo(new[] { new MultiCropPlan.Group(2, 224, 0.14f, 1f), new MultiCropPlan.Group(6, 96, 0.05f, 0.14f) }));
        Assert.That(new SwavDefinition().Views(new ViewContext(96, 3, Engine.Data.Normalization.Identity, 1, 1f, null), MethodOptionValues.Defaults), Has.Count.EqualTo(8));
        Assert.That(new SwavDefinition().Views(new ViewContext(32, 3, Engine.Data.Normalization.Identity, 1, 1f, null), MethodOptionValues.Defaults), Has.Count.EqualTo(2));
    }

    [Test]
    public void LossIsTheSwappedPredictionOfSinkhornCodes()
    {
        var o = Small();
        using var method = Make(o);
        using var batch = Batch(3, 1, 12, 12, 8, 8);
        using var scope = TensorScope.Begin();
        using var noGrad = Tape.NoGrad();
        float loss = method.Loss(batch).Item();
        var z = method.Embed(batch).ToArray();
        double expected = ReferenceLoss(z, method.Prototypes.Weight.ToArray(), 3, 4, o);
        Assert.That(loss, Is.EqualTo(expected).Within(1e-5 * Math.Abs(expected) + 1e-6));
    }

    [Test]
    public void PrototypesAreUnitRowsFrozenForTheFirstStepsThenTrained()
    {
        var o = Small();
        using var method = Make(o);
        var norms = Rows(method.Prototypes.Weight);
        Assert.That(norms, Is.All.EqualTo(1.0).Within(1e-6), "normalised at construction");
        var parameters = method.NamedParameters();
        Assert.That(parameters.Select(p => p.Name), Does.Contain("prototypes.weight"));
        using var optimizer = new Engine.Optim.Sgd(parameters);
        float[] before = method.Prototypes.Weight.ToArray();
        for (int step = 0; step < 4; step++)
        {
            using var batch = Batch(3, step + 1, 12, 12, 8, 8);
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var info = new StepInfo(step, 1, step + 1, 10);
            Tape.Backward(method.Loss(batch, info));
            var frozen = method.BeforeOptimizerStep(info);
            Assert.That(frozen.Contains(method.Prototypes.Weight), Is.EqualTo(step < 2), $"step {step}");
            optimizer.Step(0.5f, frozen);
            method.AfterOptimizerStep(batch, info);
            Assert.That(Rows(method.Prototypes.Weight), Is.All.EqualTo(1.0).Within(1e-5), "unit rows after every step");
            if (step < 2) Assert.That(method.Prototypes.Weight.ToArray(), Is.EqualTo(before).Within(1e-6f), $"frozen at step {step} (renormalising a unit row moves it by an ulp at most)");
        }
        Assert.That(method.Prototypes.Weight.ToArray().Zip(before).Max(p => Math.Abs(p.First - p.Second)), Is.GreaterThan(1e-3f), "trained once unfrozen");
        Assert.That(method.FreezeSteps(new StepInfo(0, 1, 1, 77)), Is.EqualTo(2));
        using var epochFrozen = Make(o with { FreezePrototypesIters = -1 });
        Assert.That(epochFrozen.FreezeSteps(new StepInfo(0, 1, 1, 77)), Is.EqualTo(77), "-1 freezes for one epoch");
    }

    [Test]
    public void QueueFillsFromItsStartEpochAndJoinsTheCodesOnceFull()
    {
        var o = Small(queue: 7) with { QueueStartEpoch = 2 };   // 7 rounds down to 6 = two batches of 3
        using var method = Make(o);
        Assert.That(method.Queue!.Length, Is.EqualTo(6));
        var pushed = new List<float[][]>();
        for (int step = 0; step < 5; step++)
        {
            int epoch = step == 0 ? 1 : 2;
            using var batch = Batch(3, step + 1, 12, 12, 8, 8);
            using var scope = TensorScope.Begin();
            using var noGrad = Tape.NoGrad();
            var queueBefore = new[] { method.Queue.Rows(0).ToArray(), method.Queue.Rows(1).ToArray() };
            bool full = method.Queue.IsFull;
            float loss = method.Loss(batch, new StepInfo(step, epoch, 1, 10)).Item();
            var z = method.Embed(batch).ToArray();
            double expected = ReferenceLoss(z, method.Prototypes.Weight.ToArray(), 3, 4, o, full ? queueBefore : null);
            Assert.That(loss, Is.EqualTo(expected).Within(1e-5 * Math.Abs(expected) + 1e-6), $"step {step} (queue {(full ? "used" : "not used")})");
            if (epoch == 1) Assert.That(method.Queue.Filled, Is.EqualTo(0), "nothing pushed before the start epoch");
            else pushed.Add([z[..(3 * D)], z[(3 * D)..(6 * D)]]);
        }
        Assert.That(method.Queue.IsFull, Is.True);
        // Ring: the last two pushes (steps 3, 4) hold rows [0, 3) and [3, 6) after four pushes.
        Assert.That(method.Queue.Rows(0).ToArray()[..(3 * D)], Is.EqualTo(pushed[2][0]).Within(1e-6f));
        Assert.That(method.Queue.Rows(1).ToArray()[(3 * D)..], Is.EqualTo(pushed[3][1]).Within(1e-6f));
        Assert.That(method.StateMetadata(), Is.EqualTo(new Dictionary<string, string> { [SwavMethod.QueueNextKey] = "0", [SwavMethod.QueueFilledKey] = "6" }));
        Assert.That(method.StateDict().Select(s => s.Name), Does.Contain("swav_queue.0").And.Contain("swav_queue.1").And.Contain("prototypes.weight"));
        Assert.Throws<FormatException>(() => method.LoadStateMetadata(new Dictionary<string, string>()));
        // Counters that do not fit the queue are a malformed checkpoint value, named by key (the checkpoint adds the file).
        var e = Assert.Throws<FormatException>(() => method.LoadStateMetadata(new Dictionary<string, string> { [SwavMethod.QueueNextKey] = "1", [SwavMethod.QueueFilledKey] = "6" }));
        Assert.That(e!.Message, Does.Contain(SwavMethod.QueueNextKey).And.Contain("= 1"));
    }

    [Test]
    public void CollapseMonitorReportsCodeStatisticsAndWarnsWhenTheLossSitsAtLnK()
    {
        using var stats = new CodeStatistics(GradCheck.Cpu, 4);
        using (var scope = TensorScope.Begin())
        {
            // Two confident codes on prototypes 0 and 2, one uniform code.
            stats.Add(Tensor.FromArray(GradCheck.Cpu, [1, 0, 0, 0, 0, 0, 1, 0, 0.25f, 0.25f, 0.25f, 0.25f], 3, 4));
        }
        var r = stats.Take();
        Assert.That(r[CodeStatistics.CodeEntropy], Is.EqualTo(Math.Log(4) / 3).Within(1e-6));
        double[] mean = [1.25 / 3, 0.25 / 3, 1.25 / 3, 0.25 / 3];
        Assert.That(r[CodeStatistics.MeanCodeEntropy], Is.EqualTo(-mean.Sum(p => p * Math.Log(p))).Within(1e-6));
        Assert.That(r[CodeStatistics.PrototypesUsed], Is.EqualTo(2), "argmax of the uniform code is prototype 0 (lowest index)");
        Assert.That(stats.Take(), Is.Empty, "reset after each epoch");

        using var method = Make(Small());
        double lnK = Math.Log(K);
        Assert.That(method.EndEpoch(new EpochLosses(lnK, lnK * 0.995, lnK * 1.004, 10)).Warnings, Has.Count.EqualTo(1).And.Some.Contain("ln K"));
        Assert.That(method.EndEpoch(new EpochLosses(lnK, lnK * 0.9, lnK * 1.004, 10)).Warnings, Is.Empty);
    }

    private static double[] Rows(Tensor t)
    {
        var a = t.ToArray();
        int rows = t.Dim(0), d = t.Dim(1);
        return Enumerable.Range(0, rows).Select(r => Math.Sqrt(Enumerable.Range(0, d).Sum(c => (double)a[r * d + c] * a[r * d + c]))).ToArray();
    }
}
