using NativeContrastive.Engine;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// The fused contrastive primitives (cpu) against the formulas evaluated in double, and the
/// InfoNce / Nce ops against finite differences. Tolerances: losses 1e-5 + 1e-5·|ℓ| (float
/// log-sum-exp over ≤ 300 terms); InfoNCE gradients 1e-6/τ + 1e-5·|g| (softmax − onehot is
/// exact to ~1e-7 absolute and then scaled by 1/τ), NCE gradients 1e-7 + 1e-5·|g|.
/// </summary>
public class ContrastiveOpTests
{
    private static IBackend B => GradCheck.Cpu;

    private static int[] Positives(int rows, int cols, bool excludeSelf, int seed)
    {
        var rng = new Random(seed);
        var p = new int[rows];
        for (int r = 0; r < rows; r++)
            do p[r] = rng.Next(cols); while (excludeSelf && p[r] == r);
        return p;
    }

    /// <summary>(loss, lse, dS) of InfoNCE per row in double, with upstream gradient g.</summary>
    private static (double[] Loss, double[] Lse, double[] Ds) InfoNceReference(float[] s, int[] p, float[] g, float tau, bool excludeSelf, int rows, int cols)
    {
        var loss = new double[rows];
        var lse = new double[rows];
        var ds = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < cols; j++) if (!(excludeSelf && j == r)) max = Math.Max(max, s[r * cols + j] / (double)tau);
            for (int j = 0; j < cols; j++) if (!(excludeSelf && j == r)) sum += Math.Exp(s[r * cols + j] / (double)tau - max);
            lse[r] = max + Math.Log(sum);
            loss[r] = lse[r] - s[r * cols + p[r]] / (double)tau;
            for (int j = 0; j < cols; j++)
                ds[r * cols + j] = excludeSelf && j == r ? 0 : g[r] * (Math.Exp(s[r * cols + j] / (double)tau - lse[r]) - (j == p[r] ? 1 : 0)) / tau;
        }
        return (loss, lse, ds);
    }

    private static void AssertClose(double[] expected, float[] actual, double atol, double rtol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])), $"{what}[{i}]");
    }

    [TestCase(2, 2, true, 0.5f)]
    [TestCase(6, 6, true, 0.07f)]
    [TestCase(5, 17, true, 0.1f)]
    [TestCase(3, 1, false, 1f)]
    [TestCase(7, 33, false, 0.07f)]
    [TestCase(300, 300, true, 0.2f)]   // parallel path
    public void InfoNceRowsMatchesDouble(int rows, int cols, bool excludeSelf, float tau)
    {
        var s = GradCheck.Random(rows * 31 + cols, -1f, 1f, rows, cols);
        var p = Positives(rows, cols, excludeSelf, rows + cols);
        var g = GradCheck.Random(5, -1f, 1f, rows);
        var (eLoss, eLse, eDs) = InfoNceReference(s.ToArray(), p, g.ToArray(), tau, excludeSelf, rows, cols);
        var pos = IntTensor.FromArray(B, p);
        var loss = Tensor.Empty(B, rows);
        var lse = Tensor.Empty(B, rows);
        B.InfoNceRows(s, pos, tau, excludeSelf, rows, cols, loss, lse);
        AssertClose(eLoss, loss.ToArray(), 1e-5, 1e-5, "loss");
        AssertClose(eLse, lse.ToArray(), 1e-5, 1e-5, "lse");
        var ds = s.EmptyLike();
        B.InfoNceRowsBackward(s, pos, lse, g, tau, excludeSelf, rows, cols, ds);
        AssertClose(eDs, ds.ToArray(), 1e-6 / tau, 1e-5, "dS");
    }

    [Test]
    public void InfoNceRowsIsStableForLargeLogits()
    {
        // s/τ up to 1e4: a naive Σ exp overflows; the max-subtracted form gives ℓ = log(1 + e^{−1}) for row 0.
        var s = Tensor.FromArray(B, [0f, 100f, 99.99f, 5f, 0f, 5f], 2, 3);
        var loss = Tensor.Empty(B, 2);
        var lse = Tensor.Empty(B, 2);
        B.InfoNceRows(s, IntTensor.FromArray(B, [1, 0]), 0.01f, true, 2, 3, loss, lse);
        var l = loss.ToArray();
        Assert.That(l[0], Is.EqualTo(Math.Log(1 + Math.Exp(-1))).Within(1e-3));
        Assert.That(l[1], Is.EqualTo(Math.Log(2)).Within(1e-4), "two equal candidates: log 2 (lse ≈ 500.7 carries ulp(500) ≈ 3e-5)");
    }

    [Test]
    public void InfoNceRejectsPositiveOnExcludedDiagonalAndOutOfRange()
    {
        var s = GradCheck.Random(1, -1, 1, 3, 3);
        Assert.Throws<ArgumentException>(() => Ops.InfoNce(s, IntTensor.FromArray(B, [1, 1, 0]), 0.5f, excludeSelf: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.InfoNce(s, IntTensor.FromArray(B, [1, 3, 0]), 0.5f, excludeSelf: false));
        Assert.Throws<ArgumentException>(() => Ops.InfoNce(GradCheck.Random(1, -1, 1, 3, 2), IntTensor.FromArray(B, [1, 0, 0]), 0.5f, excludeSelf: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.InfoNce(s, IntTensor.FromArray(B, [1, 2, 0]), 0f, excludeSelf: true));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void InfoNceGradient(bool excludeSelf)
    {
        var pos = IntTensor.FromArray(B, Positives(4, 5, excludeSelf, 3));
        GradCheck.Check(x => Ops.InfoNce(x[0], pos, 0.5f, excludeSelf), [GradCheck.Random(11, -1, 1, 4, 5)], h: 1e-3);
    }

    /// <summary>NCE rows in double: u = s − ln(Z·m/N); ℓ = −log σ(u_0) − Σ_{j≥1} log(1 − σ(u_j)); dℓ/ds = σ(u) − [j = 0].</summary>
    private static (double[] Loss, double[] Ds) NceReference(float[] s, float[] g, double z, long n, int rows, int cols)
    {
        int m = cols - 1;
        double c = Math.Log(z * m / n);
        var loss = new double[rows];
        var ds = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
            {
                double u = s[r * cols + j] - c;
                double softplus = Math.Max(j == 0 ? -u : u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));
                loss[r] += softplus;
                ds[r * cols + j] = g[r] * (1 / (1 + Math.Exp(-u)) - (j == 0 ? 1 : 0));
            }
        return (loss, ds);
    }

    [TestCase(1, 2, 2f, 2L)]
    [TestCase(3, 9, 4f, 10L)]
    [TestCase(5, 33, 1e4f, 50_000L)]
    [TestCase(64, 513, 2e5f, 1_000_000L)]   // parallel path
    public void NceRowsMatchDouble(int rows, int cols, float z, long n)
    {
        var s = GradCheck.Random(rows + cols, -14f, 14f, rows, cols);
        var g = GradCheck.Random(9, -1f, 1f, rows);
        var (eLoss, eDs) = NceReference(s.ToArray(), g.ToArray(), z, n, rows, cols);
        var loss = Tensor.Empty(B, rows);
        B.NceRows(s, z, n, rows, cols, loss);
        AssertClose(eLoss, loss.ToArray(), 1e-5, 1e-5, "loss");
        var ds = s.EmptyLike();
        B.NceRowsBackward(s, g, z, n, rows, cols, ds);
        AssertClose(eDs, ds.ToArray(), 1e-7, 1e-5, "dS");
    }

    [Test]
    public void NceRowsKeepTinySoftplusTerms()
    {
        // u = −30 on every negative: softplus(u) ≈ e^{−30} ≈ 9.4e-14 each; 1 + 9.4e-14 rounds to 1 in
        // float, so a log(1 + x) without log1p would drop them. The positive's term is log 2.
        const int m = 8;
        float c = (float)Math.Log(2.0 * m / 16);   // Z = 2, N = 16
        var s = new float[m + 1];
        s[0] = c;
        for (int j = 1; j <= m; j++) s[j] = c - 30f;
        var loss = Tensor.Empty(B, 1);
        B.NceRows(Tensor.FromArray(B, s, 1, m + 1), 2f, 16, 1, m + 1, loss);
        double expected = Math.Log(2) + m * Math.Exp(-30);
        Assert.That(loss.ToArray()[0] - Math.Log(2), Is.EqualTo(expected - Math.Log(2)).Within(1e-7), "tail terms kept");
    }

    [Test]
    public void NceGradient() => GradCheck.Check(x => Ops.Nce(x[0], 4f, 10), [GradCheck.Random(12, -3, 3, 3, 5)]);
}
