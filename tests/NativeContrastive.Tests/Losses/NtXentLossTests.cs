using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Losses;

/// <summary>
/// NT-Xent against SimCLR eq. 1 evaluated independently in double. Needs Ops.MatMul and
/// Ops.L2Normalize (and the cpu Gemm/Norm families) from their owners.
/// </summary>
public class NtXentLossTests
{
    /// <summary>Eq. 1 averaged over all 2N anchors, written directly from the paper.</summary>
    private static double Reference(float[] z, int rows, int dim, double tau)
    {
        var u = new double[rows, dim];
        for (int i = 0; i < rows; i++)
        {
            double norm = 0;
            for (int d = 0; d < dim; d++) norm += (double)z[i * dim + d] * z[i * dim + d];
            norm = Math.Sqrt(norm);
            for (int d = 0; d < dim; d++) u[i, d] = z[i * dim + d] / norm;
        }
        double Sim(int i, int j)
        {
            double s = 0;
            for (int d = 0; d < dim; d++) s += u[i, d] * u[j, d];
            return s / tau;
        }
        int n = rows / 2;
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            int pos = i < n ? i + n : i - n;
            double denominator = 0;
            for (int k = 0; k < rows; k++) if (k != i) denominator += Math.Exp(Sim(i, k));
            total += -Math.Log(Math.Exp(Sim(i, pos)) / denominator);
        }
        return total / rows;
    }

    [Test]
    public void OrthogonalPairsByHand()
    {
        // Views agree (z_i = z_{i+N}) and samples are orthogonal: for every anchor the positive
        // has s = 1/τ = 2 and the two negatives s = 0, so ℓ = log(1 + 2e⁻²) for all four rows.
        var z = Tensor.FromArray(GradCheck.Cpu, [1f, 0f, 0f, 3f, 2f, 0f, 0f, 0.5f], 4, 2);
        float loss = NtXentLoss.Compute(z, 0.5f).Item();
        Assert.That(loss, Is.EqualTo(Math.Log(1 + 2 * Math.Exp(-2))).Within(1e-6));
    }

    [Test]
    public void MatchesEquationOneOnTinyBatch()
    {
        float[] z = [0.3f, -1.2f, 2.0f, 0.5f, -0.7f, 0.9f, 1.1f, 1.4f];   // N = 2, D = 2
        float loss = NtXentLoss.Compute(Tensor.FromArray(GradCheck.Cpu, z, 4, 2), 0.5f).Item();
        Assert.That(loss, Is.EqualTo(Reference(z, 4, 2, 0.5)).Within(1e-5));
    }

    [Test]
    public void MatchesEquationOneAtLowTemperature()
    {
        var z = GradCheck.Random(1, -1, 1, 6, 5);
        float loss = NtXentLoss.Compute(z, 0.07f).Item();
        Assert.That(loss, Is.EqualTo(Reference(z.ToArray(), 6, 5, 0.07)).Within(1e-4));
    }

    [Test]
    public void Gradient() => GradCheck.Check(x => NtXentLoss.Compute(x[0], 0.5f), [GradCheck.Random(2, -1, 1, 4, 3)], h: 1e-3);

    [Test]
    public void RejectsOddBatchAndBadTemperature()
    {
        Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(GradCheck.Random(3, -1, 1, 3, 2), 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => NtXentLoss.Compute(GradCheck.Random(4, -1, 1, 4, 2), 0f));
    }
}
