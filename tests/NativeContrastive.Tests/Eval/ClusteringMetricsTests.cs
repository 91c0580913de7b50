using NativeContrastive.Engine.Eval;
using NUnit.Framework;

namespace NativeContrastive.Tests.Eval;

/// <summary>
/// NMI and AMI against hand-computed values (natural logarithms; E[MI] checked against the mean
/// MI over every permutation of the predicted labels, the definition of the hypergeometric model)
/// and scikit-learn's documented cases.
/// </summary>
public class ClusteringMetricsTests
{
    private static readonly double Ln2 = Math.Log(2), Ln3 = Math.Log(3);

    [Test]
    public void IdenticalPartitionsUnderRenamingScoreOne()
    {
        Assert.That(ClusteringMetrics.Nmi([0, 0, 1, 1], [1, 1, 0, 0]), Is.EqualTo(1.0).Within(1e-15));
        Assert.That(ClusteringMetrics.Ami([0, 0, 1, 1], [1, 1, 0, 0]), Is.EqualTo(1.0).Within(1e-15));
        int[] u = [3, 3, 7, 7, 7, 1, 1, 9];
        int[] v = [0, 0, 5, 5, 5, 2, 2, 4];
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(ClusteringMetrics.Ami(u, v), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void ClassesSplitIntoSingletonsScoreZero()
    {
        // sklearn's doc example: every member of the one class in its own cluster.
        Assert.That(ClusteringMetrics.Nmi([0, 0, 0, 0], [0, 1, 2, 3]), Is.EqualTo(0.0));
        Assert.That(ClusteringMetrics.Ami([0, 0, 0, 0], [0, 1, 2, 3]), Is.EqualTo(0.0).Within(1e-15));
    }

    [Test]
    public void OnePartEachIsAPerfectMatch()
    {
        Assert.That(ClusteringMetrics.Nmi([4, 4, 4], [1, 1, 1]), Is.EqualTo(1.0));
        Assert.That(ClusteringMetrics.Ami([4, 4, 4], [1, 1, 1]), Is.EqualTo(1.0));
        Assert.That(ClusteringMetrics.Nmi([], []), Is.EqualTo(1.0));
    }

    [Test]
    public void HandComputedTable()
    {
        // Classes {0,1,2 | 3,4,5}, clusters {0,1 | 2,3 | 4,5}: n = [[2,1,0],[0,1,2]], a = (3,3), b = (2,2,2), N = 6.
        int[] u = [0, 0, 0, 1, 1, 1];
        int[] v = [0, 0, 1, 1, 2, 2];
        // MI = 2·(2/6)·ln(6·2/(3·2)) + 2·(1/6)·ln(6·1/(3·2)) = (2/3)·ln 2.
        double mi = 2.0 / 3.0 * Ln2;
        Assert.That(ClusteringMetrics.MutualInformation(u, v), Is.EqualTo(mi).Within(1e-15));
        Assert.That(ClusteringMetrics.Entropy(u), Is.EqualTo(Ln2).Within(1e-15));
        Assert.That(ClusteringMetrics.Entropy(v), Is.EqualTo(Ln3).Within(1e-15));
        // Arithmetic normalisation (sklearn's default), not the geometric mean √(ln2·ln3).
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.EqualTo(mi / ((Ln2 + Ln3) / 2)).Within(1e-15));
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.EqualTo(0.5158037429793888).Within(1e-14));
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.Not.EqualTo(mi / Math.Sqrt(Ln2 * Ln3)).Within(1e-3));
        // E[MI] = 0.4·ln 2 (mean over the 720 permutations, computed below too); AMI = (MI − E)/(mean H − E).
        double emi = 0.27725887222397877;
        Assert.That(ClusteringMetrics.ExpectedMutualInformation(u, v), Is.EqualTo(emi).Within(1e-14));
        Assert.That(ClusteringMetrics.Ami(u, v), Is.EqualTo((mi - emi) / ((Ln2 + Ln3) / 2 - emi)).Within(1e-14));
        Assert.That(ClusteringMetrics.Ami(u, v), Is.EqualTo(0.2987924581708893).Within(1e-13));
    }

    [Test]
    public void ExpectedMutualInformationIsTheMeanOverPermutations()
    {
        int[] u = [0, 0, 1, 1, 1, 2, 2];
        int[] v = [1, 1, 1, 0, 0, 2, 0];
        double sum = 0;
        int count = 0;
        foreach (var p in Permutations(v))
        {
            sum += ClusteringMetrics.MutualInformation(u, p);
            count++;
        }
        Assert.That(count, Is.EqualTo(5040));
        Assert.That(ClusteringMetrics.ExpectedMutualInformation(u, v), Is.EqualTo(sum / count).Within(1e-12));
        Assert.That(ClusteringMetrics.Ami(u, v), Is.EqualTo(0.1912924413003659).Within(1e-12));
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.EqualTo(0.5120965390369828).Within(1e-13));
    }

    [Test]
    public void IndependentPartitionsHaveAmiNearZero()
    {
        var rng = new Random(5);
        var u = Enumerable.Range(0, 3000).Select(_ => rng.Next(10)).ToArray();
        var v = Enumerable.Range(0, 3000).Select(_ => rng.Next(10)).ToArray();
        double ami = ClusteringMetrics.Ami(u, v);
        Assert.That(Math.Abs(ami), Is.LessThan(0.005), $"AMI {ami}");
        // NMI is not corrected for chance: clearly above 0 for the same independent labels.
        Assert.That(ClusteringMetrics.Nmi(u, v), Is.GreaterThan(ami + 0.003));
        Assert.That(ClusteringMetrics.Ami(u, v), Is.EqualTo(ClusteringMetrics.Ami(v, u)).Within(1e-12), "symmetric");
    }

    [Test]
    public void LengthMismatchThrows() =>
        Assert.Throws<ArgumentException>(() => ClusteringMetrics.Nmi([0, 1], [0]));

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        // Heap's algorithm over positions (equal labels give repeated arrangements, as the uniform model counts them).
        var a = (int[])items.Clone();
        var c = new int[a.Length];
        yield return (int[])a.Clone();
        int i = 0;
        while (i < a.Length)
        {
            if (c[i] < i)
            {
                if (i % 2 == 0) (a[0], a[i]) = (a[i], a[0]);
                else (a[c[i]], a[i]) = (a[i], a[c[i]]);
                yield return (int[])a.Clone();
                c[i]++;
                i = 0;
            }
            else
            {
                c[i] = 0;
                i++;
            }
        }
    }
}
