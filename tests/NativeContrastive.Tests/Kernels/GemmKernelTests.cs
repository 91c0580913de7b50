using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// gemm.cu (naive and tiled) against a double-precision triple loop, all four transpose
/// combinations, alpha/beta, sizes around the 16 and 64 tiles. Tolerance: 1e-5·(1 + Σ_k |a||b|)
/// per element (float accumulation error grows with K). beta = 0 must ignore NaN in C.
/// </summary>
public class GemmKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static float[] Reference(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c, out float[] bound)
    {
        var y = new float[m * n];
        bound = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta ? a[p * m + i] : a[i * k + p], bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                    mag += Math.Abs(av * bv);
                }
                y[i * n + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]));
                bound[i * n + j] = (float)(1e-5 * (1 + Math.Abs(alpha) * mag + (beta == 0 ? 0 : Math.Abs(beta * c[i * n + j]))));
            }
        return y;
    }

    [Test]
    public void MatchesReference(
        [Values(GemmVersion.Naive, GemmVersion.Tiled)] GemmVersion version,
        [Values(false, true)] bool transA,
        [Values(false, true)] bool transB,
        [Values(new[] { 1, 1, 1 }, new[] { 17, 5, 33 }, new[] { 64, 64, 16 }, new[] { 65, 70, 19 }, new[] { 3, 130, 0 })] int[] mnk)
    {
        int m = mnk[0], n = mnk[1], k = mnk[2];
        var gemm = new GemmKernels(Driver);
        float[] a = Data(m * k, 1), b = Data(k * n, 2), c = Data(m * n, 3);
        using var da = Up(a);
        using var db = Up(b);
        using var dc = Up(c);
        gemm.Gemm(transA, transB, m, n, k, 0.5f, da, db, -1.25f, dc, version);
        var expected = Reference(transA, transB, m, n, k, 0.5f, a, b, -1.25f, c, out var bound);
        var actual = dc.ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(bound[i]), $"{version} tA={transA} tB={transB} {m}x{n}x{k}: element {i}");
    }

    [TestCase(GemmVersion.Naive)]
    [TestCase(GemmVersion.Tiled)]
    public void BetaZeroIgnoresNaNInC(GemmVersion version)
    {
        int m = 20, n = 9, k = 70;
        var gemm = new GemmKernels(Driver);
        float[] a = Data(m * k, 4), b = Data(k * n, 5), c = Enumerable.Repeat(float.NaN, m * n).ToArray();
        using var da = Up(a);
        using var db = Up(b);
        using var dc = Up(c);
        gemm.Gemm(false, false, m, n, k, 1f, da, db, 0f, dc, version);
        var expected = Reference(false, false, m, n, k, 1f, a, b, 0f, c, out var bound);
        var actual = dc.ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(bound[i]), $"element {i}");
    }
}
