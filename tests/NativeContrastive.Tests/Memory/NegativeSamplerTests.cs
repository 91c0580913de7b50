using NativeContrastive.Engine.Memory;
using NUnit.Framework;

namespace NativeContrastive.Tests.Memory;

public class NegativeSamplerTests
{
    [Test]
    public void SameSeedAndStepGiveSameTable()
    {
        int[] pos = [3, 1, 4];
        var a = new NegativeSampler(100, 20, 42).Sample(5, pos);
        var b = new NegativeSampler(100, 20, 42).Sample(5, pos);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(new NegativeSampler(100, 20, 43).Sample(5, pos), Is.Not.EqualTo(a), "another seed");
        Assert.That(new NegativeSampler(100, 20, 42).Sample(6, pos), Is.Not.EqualTo(a), "another step");
    }

    [Test]
    public void ColumnZeroIsThePositiveAndNegativesAreInRange()
    {
        int[] pos = [9, 0, 5, 5];
        var t = new NegativeSampler(10, 7, 1).Sample(0, pos);
        Assert.That(t.Length, Is.EqualTo(4 * 8));
        for (int b = 0; b < 4; b++) Assert.That(t[b * 8], Is.EqualTo(pos[b]));
        Assert.That(t, Has.All.InRange(0, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NegativeSampler(10, 7, 1).Sample(0, [10]));
    }

    [Test]
    public void NegativesAreUniform()
    {
        // 200 000 draws over N = 20: each count ~ Binomial(2e5, 1/20), mean 10 000, sd ≈ 97.
        const int n = 20, m = 1000, batch = 200;
        var positives = new int[batch];
        var table = new NegativeSampler(n, m, 123).Sample(0, positives);
        var counts = new int[n];
        for (int b = 0; b < batch; b++)
            for (int j = 1; j <= m; j++) counts[table[b * (m + 1) + j]]++;
        double expected = batch * m / (double)n;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // χ² with 19 degrees of freedom: P(χ² > 43.8) ≈ 0.001.
        Assert.That(chi2, Is.LessThan(43.8), string.Join(",", counts));
        Assert.That(counts, Has.All.InRange(expected * 0.95, expected * 1.05));
    }
}
