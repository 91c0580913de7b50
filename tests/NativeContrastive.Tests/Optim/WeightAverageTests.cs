using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.OptimTests;

/// <summary>The weight averages (EMA and SWA's uniform mean) against their formulas worked in double, the swap, recalibration and the saved state.</summary>
public class WeightAverageTests
{
    private static Tensor Weight(float value, int n = 19)
    {
        var t = Tensor.Empty(Cpu, n);
        Cpu.Fill(t, value);
        return t;
    }

    [Test]
    public void DecayRampsUpToTheTarget()
    {
        using var w = Weight(0f);
        using var ema = WeightAverage.Exponential([("w", w)], 0.999f);
        Assert.That(ema.DecayAt(0), Is.EqualTo(0.1f).Within(1e-7));
        Assert.That(ema.DecayAt(10), Is.EqualTo(11f / 20f).Within(1e-7));
        Assert.That(ema.DecayAt(1_000_000), Is.EqualTo(0.999f), "capped at the target");
        using var ema0 = WeightAverage.Exponential([("w", w)], 0f);
        Assert.That(ema0.DecayAt(5), Is.Zero, "decay 0: the average is the latest weights");
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightAverage.Exponential([("w", w)], 1f));
    }

    [Test]
    public void UpdatesFollowTheFormula()
    {
        using var w = Weight(1f);
        using var ema = WeightAverage.Exponential([("w", w)], 0.9f);
        double expected = 1.0;   // the average starts as a copy of the weights
        float[] path = [3f, -2f, 5f, 0.5f, 4f];
        for (int t = 0; t < path.Length; t++)
        {
            Cpu.Fill(w, path[t]);
            ema.Update();
            double d = Math.Min(0.9, (1.0 + t) / (10.0 + t));
            expected = d * expected + (1 - d) * path[t];
        }
        Assert.That(ema.Updates, Is.EqualTo(path.Length));
        var average = ema.State().Single();
        Assert.That(average.Name, Is.EqualTo("ema.w"));
        Assert.That(average.Tensor.ToArray(), Is.All.EqualTo((float)expected).Within(1e-5));
        Assert.That(w.ToArray(), Is.All.EqualTo(4f), "the live weights are not changed by an update");
    }

    [Test]
    public void AveragedWeightsAreSwappedInAndTheLiveOnesRestoredExactly()
    {
        using var w = Tensor.FromArray(Cpu, [0.1f, -0.2f, 1e-30f, 3.3f], 4);
        float[] before = w.ToArray();
        using var ema = WeightAverage.Exponential([("w", w)], 0.5f);
        Cpu.Fill(w, 7f);
        ema.Update();   // d = 0.1: 0.1·a + 0.9·7
        float[] live = w.ToArray();
        float[] inside = ema.WithAveragedWeights(() => w.ToArray());
        Assert.That(inside, Is.EqualTo(before.Select(a => 0.1f * a + 0.9f * 7f).ToArray()).Within(1e-5));
        Assert.That(w.ToArray(), Is.EqualTo(live), "the live weights come back bit for bit");
        Assert.Throws<InvalidOperationException>(() => ema.WithAveragedWeights<int>(() => throw new InvalidOperationException()));
        Assert.That(w.ToArray(), Is.EqualTo(live), "also when the body throws");
    }

    [Test]
    public void UpdateCountRoundTripsThroughMetadata()
    {
        using var w = Weight(2f);
        using var ema = WeightAverage.Exponential([("w", w)], 0.99f);
        for (int i = 0; i < 3; i++) ema.Update();
        using var other = WeightAverage.Exponential([("w", w)], 0.99f);
        other.LoadStateMetadata(ema.StateMetadata());
        Assert.That(other.Updates, Is.EqualTo(3));
        Assert.Throws<FormatException>(() => other.LoadStateMetadata(new Dictionary<string, string> { ["ema.updates"] = "-1" }));
        Assert.Throws<FormatException>(() => other.LoadStateMetadata(new Dictionary<string, string>()));
    }

    [Test]
    public void UniformAverageIsTheMeanOfTheWeightsItSaw()
    {
        using var w = Weight(100f);
        using var swa = WeightAverage.Uniform([("w", w)]);
        Assert.That(swa.Prefix, Is.EqualTo("swa."));
        float[] path = [3f, -2f, 5f, 0.5f];
        foreach (var v in path)
        {
            Cpu.Fill(w, v);
            swa.Update();
        }
        Assert.That(swa.DecayAt(0), Is.Zero, "the first update replaces the initial copy");
        Assert.That(swa.State().Single().Tensor.ToArray(), Is.All.EqualTo(path.Average()).Within(1e-6), "the initial 100 is not part of the mean");
        Assert.That(swa.StateMetadata()["swa.updates"], Is.EqualTo("4"));
    }

    [Test]
    public void RecalibrationKeepsWhatItChangedInTheAverageAndRestoresTheLiveWeights()
    {
        using var w = Weight(1f, 3);
        using var swa = WeightAverage.Uniform([("w", w)]);
        Cpu.Fill(w, 4f);
        swa.Update();
        Cpu.Fill(w, 2f);
        float seen = 0;
        swa.Recalibrate(() => { seen = w.ToArray()[0]; Cpu.Fill(w, 9f); });
        Assert.That(seen, Is.EqualTo(4f), "the body sees the average");
        Assert.That(swa.State().Single().Tensor.ToArray(), Is.All.EqualTo(9f), "its changes become the average");
        Assert.That(w.ToArray(), Is.All.EqualTo(2f), "the live weights come back");
    }
}
