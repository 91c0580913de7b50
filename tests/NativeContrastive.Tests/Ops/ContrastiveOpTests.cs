using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

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
        var zt = Tensor.FromArray(B, [z], 1);
        B.NceRows(s, zt, n, rows, cols, loss);
        AssertClose(eLoss, loss.ToArray(), 1e-5, 1e-5, "loss");
        var ds = s.EmptyLike();
        B.NceRowsBackward(s, g, zt, n, rows, cols, ds);
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
        B.NceRows(Tensor.FromArray(B, s, 1, m + 1), Tensor.FromArray(B, [2f], 1), 16, 1, m + 1, loss);
        double expected = Math.Log(2) + m * Math.Exp(-30);
        Assert.That(loss.ToArray()[0] - Math.Log(2), Is.EqualTo(expected - Math.Log(2)).Within(1e-7), "tail terms kept");
    }

    [Test]
    public void NceGradient() => GradCheck.Check(x => Ops.Nce(x[0], 4f, 10), [GradCheck.Random(12, -3, 3, 3, 5)]);

    [Test]
    public void NceGradientWithZOnTheDevice()
    {
        // The path NPID takes: Z as a one-element tensor, read by the kernels (no gradient flows to it).
        var z = Tensor.FromArray(B, [4f], 1);
        GradCheck.Check(x => Ops.Nce(x[0], z, 10), [GradCheck.Random(12, -3, 3, 3, 5)]);
    }

    // ---- SupCon ------------------------------------------------------------------------------

    /// <summary>(loss, lse, count, dS) of SupCon's L_out per anchor row in double, with upstream gradient g.</summary>
    private static (double[] Loss, double[] Lse, int[] Count, double[] Ds) SupConReference(float[] s, int[] labels, float[] g, float tau, int rows, int cols)
    {
        var loss = new double[rows];
        var lse = new double[rows];
        var count = new int[rows];
        var ds = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0, pos = 0;
            for (int j = 0; j < cols; j++) if (j != r) max = Math.Max(max, s[r * cols + j] / (double)tau);
            for (int j = 0; j < cols; j++) if (j != r) sum += Math.Exp(s[r * cols + j] / (double)tau - max);
            lse[r] = max + Math.Log(sum);
            for (int j = 0; j < cols; j++)
                if (j != r && labels[j] == labels[r]) { pos += s[r * cols + j] / (double)tau; count[r]++; }
            loss[r] = count[r] == 0 ? 0 : lse[r] - pos / count[r];
            for (int j = 0; j < cols; j++)
                ds[r * cols + j] = j == r || count[r] == 0 ? 0
                    : g[r] * (Math.Exp(s[r * cols + j] / (double)tau - lse[r]) - (labels[j] == labels[r] ? 1.0 / count[r] : 0)) / tau;
        }
        return (loss, lse, count, ds);
    }

    [TestCase(2, 2, 0.5f, 1)]
    [TestCase(6, 6, 0.1f, 3)]
    [TestCase(5, 17, 0.1f, 4)]      // anchors are the first rows of more candidates
    [TestCase(9, 9, 0.07f, 9)]      // mostly singletons: anchors without positives
    [TestCase(256, 256, 0.1f, 10)]  // parallel path
    public void SupConRowsMatchDouble(int rows, int cols, float tau, int classes)
    {
        var s = GradCheck.Random(rows * 17 + cols, -1f, 1f, rows, cols);
        var rng = new Random(rows + classes);
        var labels = Enumerable.Range(0, cols).Select(_ => rng.Next(classes) - 1).ToArray();   // −1 is a label like any other
        var g = GradCheck.Random(6, -1f, 1f, rows);
        var (eLoss, eLse, eCount, eDs) = SupConReference(s.ToArray(), labels, g.ToArray(), tau, rows, cols);
        var y = IntTensor.FromArray(B, labels);
        var loss = Tensor.Empty(B, rows);
        var lse = Tensor.Empty(B, rows);
        var count = IntTensor.Empty(B, rows);
        B.SupConRows(s, y, tau, rows, cols, loss, lse, count);
        Assert.That(count.ToArray(), Is.EqualTo(eCount), "positive counts");
        AssertClose(eLoss, loss.ToArray(), 1e-5, 1e-5, "loss");
        AssertClose(eLse, lse.ToArray(), 1e-5, 1e-5, "lse");
        var ds = s.EmptyLike();
        B.SupConRowsBackward(s, y, lse, count, g, tau, rows, cols, ds);
        AssertClose(eDs, ds.ToArray(), 1e-6 / tau, 1e-5, "dS");
    }

    [Test]
    public void SupConOnAHandComputedCase()
    {
        // Anchors 0..3, labels [7, 7, 3, 7], τ = 1. Row 0: A = {1, 2, 3}, P = {1, 3}:
        // ℓ_0 = log(e^0.5 + e^−0.25 + e^0.1) − (0.5 + 0.1)/2. Row 2 (label 3) has no positive: ℓ_2 = 0, zero gradient.
        float[] s =
        [
            1.0f, 0.5f, -0.25f, 0.1f,
            0.5f, 1.0f, 0.3f, -0.2f,
            -0.25f, 0.3f, 1.0f, 0.4f,
            0.1f, -0.2f, 0.4f, 1.0f,
        ];
        var x = Tensor.FromArray(B, s, 4, 4);
        x.RequiresGrad = true;
        var loss = Ops.SupCon(x, IntTensor.FromArray(B, [7, 7, 3, 7]), 1f);
        var l = loss.ToArray();
        Assert.That(l[0], Is.EqualTo(Math.Log(Math.Exp(0.5) + Math.Exp(-0.25) + Math.Exp(0.1)) - 0.3).Within(1e-6));
        Assert.That(l[1], Is.EqualTo(Math.Log(Math.Exp(0.5) + Math.Exp(0.3) + Math.Exp(-0.2)) - (0.5 - 0.2) / 2).Within(1e-6));
        Assert.That(l[2], Is.EqualTo(0f), "no positive: contributes nothing");
        Assert.That(l[3], Is.EqualTo(Math.Log(Math.Exp(0.1) + Math.Exp(-0.2) + Math.Exp(0.4)) - (0.1 - 0.2) / 2).Within(1e-6));
        Tape.Backward(Ops.Sum(loss));
        var grad = x.Grad!.ToArray();
        Assert.That(grad.Skip(8).Take(4), Is.All.EqualTo(0f), "the anchor without positives gets no gradient");
        Assert.That(grad.All(float.IsFinite), "never NaN");
        double z0 = Math.Exp(0.5) + Math.Exp(-0.25) + Math.Exp(0.1);
        Assert.That(grad[1], Is.EqualTo(Math.Exp(0.5) / z0 - 0.5).Within(1e-6), "∂ℓ_0/∂s_01 = softmax − 1/|P|");
        Assert.That(grad[2], Is.EqualTo(Math.Exp(-0.25) / z0).Within(1e-6), "∂ℓ_0/∂s_02 = softmax (a negative)");
        Assert.That(grad[0], Is.EqualTo(0f), "diagonal");
    }

    [Test]
    public void SupConRejectsBadShapes()
    {
        var s = GradCheck.Random(1, -1, 1, 3, 3);
        Assert.Throws<ArgumentException>(() => Ops.SupCon(s, IntTensor.FromArray(B, [1, 1]), 0.5f), "a label per column");
        Assert.Throws<ArgumentException>(() => Ops.SupCon(GradCheck.Random(1, -1, 1, 3, 2), IntTensor.FromArray(B, [1, 1]), 0.5f), "rows ≤ cols");
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SupCon(s, IntTensor.FromArray(B, [1, 1, 0]), 0f));
    }

    [Test]
    public void SupConGradient()
    {
        var labels = IntTensor.FromArray(B, [0, 1, 0, 2, 1, 0]);   // anchor 3 has no positive
        GradCheck.Check(x => Ops.SupCon(x[0], labels, 0.5f), [GradCheck.Random(13, -1, 1, 5, 6)], h: 1e-3);
    }

    [Test]
    public void StraightThroughForwardsTheValueAndPassesTheGradientToX()
    {
        var x = GradCheck.Random(3, -1, 1, 2, 3);
        var v = GradCheck.Random(4, -1, 1, 2, 3);
        x.RequiresGrad = true;
        v.RequiresGrad = true;
        var y = Ops.StraightThrough(x, v);
        Assert.That(y.ToArray(), Is.EqualTo(v.ToArray()), "the forward value is the neighbour, bit for bit");
        var w = GradCheck.Random(5, -1, 1, 2, 3);
        Tape.Backward(Ops.Sum(Ops.Mul(y, w)));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(w.ToArray()), "∂L/∂x = ∂L/∂y");
        Assert.That(v.Grad, Is.Null, "stop-gradient on the value");
        // (No finite-difference check: the forward value does not depend on x at all — that is the estimator.)
    }
}
