using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.NnTests;

/// <summary>Initialisation statistics and determinism.</summary>
public class InitTests
{
    private static RandomStream Rng(ulong seed) => new(seed, StreamId.Of(StreamId.Init));

    private static (double Mean, double Std) Stats(float[] v)
    {
        double mean = v.Average(x => (double)x);
        return (mean, Math.Sqrt(v.Average(x => (x - mean) * (x - mean))));
    }

    [Test]
    public void ConvWeightIsKaimingNormalFanOut()
    {
        // 128 out × 64 in × 3 × 3 = 73,728 draws; fan_out = 128·9 = 1152.
        using var conv = new Conv2d(Cpu, 64, 128, 3, Rng(3), bias: false);
        var (mean, std) = Stats(conv.Weight.ToArray());
        double expected = Math.Sqrt(2.0 / 1152);
        Assert.That(std, Is.EqualTo(expected).Within(0.02 * expected));
        Assert.That(Math.Abs(mean), Is.LessThan(0.02 * expected));
    }

    [Test]
    public void LinearIsUniformWithinOneOverSqrtFanIn()
    {
        using var lin = new Linear(Cpu, 256, 300, Rng(4));
        float bound = 1f / 16f;
        var w = lin.Weight.ToArray();
        Assert.That(w, Is.All.InRange(-bound, bound));
        Assert.That(lin.Bias!.ToArray(), Is.All.InRange(-bound, bound));
        // U(−b, b) has std b/√3.
        Assert.That(Stats(w).Std, Is.EqualTo(bound / Math.Sqrt(3)).Within(0.02 * bound / Math.Sqrt(3)));
        Assert.That(w.Max(), Is.GreaterThan(0.95f * bound));
    }

    [Test]
    public void SameSeedGivesBitIdenticalWeightsOtherSeedDiffers()
    {
        using var a = new Conv2d(Cpu, 3, 8, 3, Rng(7));
        using var b = new Conv2d(Cpu, 3, 8, 3, Rng(7));
        using var c = new Conv2d(Cpu, 3, 8, 3, Rng(8));
        Assert.That(a.Weight.ToArray(), Is.EqualTo(b.Weight.ToArray()));
        Assert.That(a.Bias!.ToArray(), Is.EqualTo(b.Bias!.ToArray()));
        Assert.That(a.Weight.ToArray(), Is.Not.EqualTo(c.Weight.ToArray()));
    }
}
