using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Losses;

/// <summary>
/// SupCon's L_out against Khosla et al. 2020 eq. 2 written out in double, the anchors-without-
/// positive accounting, and the special case that defines it: with every sample of its own class
/// the positives are exactly the other view, and L_out is NT-Xent.
/// </summary>
public class SupConLossTests
{
    /// <summary>Eq. 2 over the V·N anchors that have a positive; (loss, anchors without positive).</summary>
    private static (double Loss, int Without) Reference(float[] z, int[] labels, int views, int dim, double tau)
    {
        int n = labels.Length, rows = n * views;
        var u = new double[rows, dim];
        for (int i = 0; i < rows; i++)
        {
            double norm = 0;
            for (int d = 0; d < dim; d++) norm += (double)z[i * dim + d] * z[i * dim + d];
            for (int d = 0; d < dim; d++) u[i, d] = z[i * dim + d] / Math.Sqrt(norm);
        }
        double Sim(int i, int j)
        {
            double s = 0;
            for (int d = 0; d < dim; d++) s += u[i, d] * u[j, d];
            return s / tau;
        }
        double total = 0;
        int without = 0;
        for (int a = 0; a < rows; a++)
        {
            double denominator = 0;
            for (int k = 0; k < rows; k++) if (k != a) denominator += Math.Exp(Sim(a, k));
            var positives = Enumerable.Range(0, rows).Where(p => p != a && labels[p % n] == labels[a % n]).ToList();
            if (positives.Count == 0) { without++; continue; }
            total += -positives.Average(p => Math.Log(Math.Exp(Sim(a, p)) / denominator));
        }
        return (total / (rows - without), without);
    }

    [TestCase(2, new[] { 0, 1, 0, 2, 1, 1 }, 0.1f)]
    [TestCase(2, new[] { 3, 3, 3, 3 }, 0.5f)]
    [TestCase(3, new[] { 0, 1, 2, 0, 1 }, 0.07f)]
    [TestCase(1, new[] { 0, 1, 0, 2, 1, 4 }, 0.1f)]   // one view: classes 2 and 4 appear once → 2 anchors without positive
    public void MatchesEquationTwo(int views, int[] labels, float tau)
    {
        int dim = 5, rows = views * labels.Length;
        var z = GradCheck.Random(rows + dim, -1, 1, rows, dim);
        var (expected, without) = Reference(z.ToArray(), labels, views, dim, tau);
        var r = SupConLoss.Compute(z, labels, tau);
        Assert.That(r.Loss.Item(), Is.EqualTo(expected).Within(1e-5 * Math.Max(1, Math.Abs(expected))));
        Assert.That(r.AnchorsWithoutPositive, Is.EqualTo(without));
        Assert.That(r.Anchors, Is.EqualTo(rows));
        Assert.That(r.Positives, Is.EqualTo(Enumerable.Range(0, rows).Sum(a => Enumerable.Range(0, rows).Count(p => p != a && labels[p % labels.Length] == labels[a % labels.Length]))));
    }

    [Test]
    public void WithEverySampleItsOwnClassItIsNtXent()
    {
        var z = GradCheck.Random(21, -1, 1, 12, 7);
        float supcon = SupConLoss.Compute(z, [5, 1, 2, 0, 4, 3], 0.2f).Loss.Item();
        float ntxent = NtXentLoss.Compute(z, 0.2f).Item();
        Assert.That(supcon, Is.EqualTo(ntxent).Within(1e-5f));
    }

    [Test]
    public void NoAnchorWithAPositiveGivesZeroLossAndZeroGradientNotNaN()
    {
        var z = GradCheck.Random(22, -1, 1, 4, 3);
        z.RequiresGrad = true;
        var r = SupConLoss.Compute(z, [0, 1, 2, 3], 0.1f);   // one view, four classes
        Assert.That(r.AnchorsWithoutPositive, Is.EqualTo(4));
        Assert.That(r.Loss.Item(), Is.EqualTo(0f));
        Tape.Backward(r.Loss);
        Assert.That(z.Grad!.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void Gradient()
    {
        int[] labels = [0, 1, 0, 2];
        GradCheck.Check(x => SupConLoss.Compute(x[0], labels, 0.5f).Loss, [GradCheck.Random(23, -1, 1, 8, 4)], h: 1e-3);
    }
}
