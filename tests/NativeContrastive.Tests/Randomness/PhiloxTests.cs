using NativeContrastive.Engine.Randomness;
using NUnit.Framework;

namespace NativeContrastive.Tests.Randomness;

public class PhiloxTests
{
    // Known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds).
    [TestCase(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [TestCase(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [TestCase(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        var (x0, x1, x2, x3) = Philox4x32.Block(c0, c1, c2, c3, k0, k1);
        Assert.That(new[] { x0, x1, x2, x3 }, Is.EqualTo(new[] { e0, e1, e2, e3 }));
    }

    [Test]
    public void PositionRestoresTheStreamExactly()
    {
        var a = new RandomStream(42, StreamId.Of(StreamId.Augment, 3, 7));
        for (int i = 0; i < 5; i++) a.NextUInt();
        var pos = a.Position;
        var expected = Enumerable.Range(0, 9).Select(_ => a.NextUInt()).ToArray();
        var b = new RandomStream(42, StreamId.Of(StreamId.Augment, 3, 7)) { Position = pos };
        Assert.That(Enumerable.Range(0, 9).Select(_ => b.NextUInt()).ToArray(), Is.EqualTo(expected));
        Assert.That(pos, Is.EqualTo(5UL));
    }

    [Test]
    public void StreamsDifferAndUniformsHaveTheRightMoments()
    {
        var a = new RandomStream(1, 0);
        var b = new RandomStream(1, 1);
        Assert.That(a.NextUInt(), Is.Not.EqualTo(b.NextUInt()));
        var r = new RandomStream(9);
        double sum = 0, sumSq = 0, gSum = 0, gSq = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++)
        {
            double u = r.NextFloat(); sum += u; sumSq += u * u;
            double g = r.NextGaussian(); gSum += g; gSq += g * g;
        }
        Assert.That(sum / n, Is.EqualTo(0.5).Within(0.005));
        Assert.That(sumSq / n - Math.Pow(sum / n, 2), Is.EqualTo(1.0 / 12).Within(0.002));
        Assert.That(gSum / n, Is.EqualTo(0).Within(0.01));
        Assert.That(gSq / n, Is.EqualTo(1).Within(0.02));
    }

    [Test]
    public void PermutationIsAPermutation()
    {
        var p = new RandomStream(5).Permutation(1000);
        Assert.That(p.OrderBy(x => x), Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(p.Take(10), Is.Not.EqualTo(Enumerable.Range(0, 10)));
    }
}
