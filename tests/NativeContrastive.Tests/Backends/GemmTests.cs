using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Cpu.Conv;
using NativeContrastive.Engine.Backends.Cpu.Gemm;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// cpu SGEMM against a double-precision triple loop. Inputs are uniform in [−1, 1), so the
/// float32 rounding error of a length-k dot product stays well below 1e-6·k; the tolerance
/// is |c − ref| ≤ 2e-6·(k + 1) + 1e-5·|ref|.
/// </summary>
public class GemmTests
{
    private static readonly int[] Sizes = [0, 1, 2, 7, 17, 33, 65, 128, 257];
    private static CpuBackend Cpu => CpuBackend.Instance;

    private static string? Compare(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int aOff = 0, int bOff = 0, int cOff = 0, int seed = 1)
    {
        var aData = TestData.Uniform(seed, aOff + (long)m * k);
        var bData = TestData.Uniform(seed + 1, bOff + (long)k * n);
        var cData = TestData.Uniform(seed + 2, cOff + (long)m * n);
        // β = 0 must ignore C entirely, NaN included.
        if (beta == 0f) Array.Fill(cData, float.NaN, cOff, m * n);
        var expected = NaiveReference.Gemm(ta, tb, m, n, k, alpha, aData, aOff, bData, bOff, beta, cData, cOff);
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(Cpu, aData, aData.Length);
        var b = Tensor.FromArray(Cpu, bData, bData.Length);
        var c = Tensor.FromArray(Cpu, cData, cData.Length);
        Cpu.Gemm(ta, tb, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
        var got = c.ToArray();
        for (int i = 0; i < cOff; i++)
            if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(cData[i])) return $"wrote before cOffset at {i}";
        double worst = TestData.WorstRatio(got[cOff..], expected, 2e-6 * (k + 1), 1e-5, out int wi);
        return worst <= 1 ? null : $"transA={ta} transB={tb} m={m} n={n} k={k} α={alpha} β={beta}: element {wi} got {got[cOff + wi]} want {expected[wi]}";
    }

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void MatchesNaiveOverAwkwardSizes(bool ta, bool tb)
    {
        var failures = new List<string>();
        int caseIndex = 0;
        foreach (int m in Sizes)
            foreach (int n in Sizes)
                foreach (int k in Sizes)
                {
                    // Every cube of sizes up to 2^20 multiply-adds, plus the square 257 one (parallel path).
                    if ((long)m * n * k > (1 << 20) && !(m == n && n == k)) continue;
                    caseIndex++;
                    float beta = (caseIndex % 3) switch { 0 => 0f, 1 => 1f, _ => -0.5f };
                    float alpha = caseIndex % 2 == 0 ? 1f : 1.5f;
                    if (Compare(ta, tb, m, n, k, alpha, beta, seed: caseIndex) is { } f) failures.Add(f);
                }
        Assert.That(failures, Is.Empty, () => string.Join("\n", failures.Take(10)));
    }

    [TestCase(false, false)]
    [TestCase(true, true)]
    public void CrossesEveryBlockBoundary(bool ta, bool tb)
    {
        // n > NC = 2048 and k > KC = 256 exercise the jc and pc loops; m = 9 a partial MR tile;
        // m·n·k is large enough for the threaded path with column slices.
        Assert.That(Compare(ta, tb, 9, 2100, 300, 0.75f, 0.5f), Is.Null);
        Assert.That(Compare(ta, tb, 300, 40, 520, 1f, 0f), Is.Null);
    }

    [Test]
    public void Vector256FallbackMatchesNaive()
    {
        // The micro-kernel used where AVX-512 is missing; forced on here, restored afterwards.
        bool saved = SgemmMicroKernel.UseVector512;
        SgemmMicroKernel.UseVector512 = false;
        try
        {
            Assert.That(Compare(false, false, 17, 65, 33, 1f, 0f), Is.Null);
            Assert.That(Compare(true, true, 33, 7, 257, 1.5f, -0.5f), Is.Null);
            Assert.That(Compare(false, true, 128, 128, 65, 1f, 1f), Is.Null);
        }
        finally
        {
            SgemmMicroKernel.UseVector512 = saved;
        }
    }

    [Test]
    public void HonoursOffsetsAndLeavesOtherMemoryAlone()
    {
        Assert.That(Compare(false, false, 17, 33, 7, 1f, 0f, aOff: 5, bOff: 3, cOff: 11), Is.Null);
        Assert.That(Compare(true, true, 65, 17, 33, 2f, 1f, aOff: 1, bOff: 9, cOff: 4), Is.Null);
    }

    [Test]
    public void AlphaZeroOrEmptyKScalesC()
    {
        Assert.That(Compare(false, false, 7, 9, 0, 1f, -0.5f), Is.Null);
        Assert.That(Compare(false, false, 7, 9, 0, 1f, 0f), Is.Null);
        Assert.That(Compare(true, false, 7, 9, 5, 0f, 2f), Is.Null);
    }

    [TestCase(false, false, 3, 0L)]
    [TestCase(true, true, 5, 1L)]
    [TestCase(false, true, 40, 0L)]
    public void StridedBatchedMatchesPerBatchNaive(bool ta, bool tb, int count, long broadcastB)
    {
        int m = 17, n = 33, k = 7;
        long sa = m * k + 3, sb = broadcastB == 1 ? 0 : k * n + 1, sc = m * n + 2;
        var aData = TestData.Uniform(10, sa * count);
        var bData = TestData.Uniform(11, Math.Max(sb * count, k * n));
        var cData = TestData.Uniform(12, sc * count);
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(Cpu, aData, aData.Length);
        var b = Tensor.FromArray(Cpu, bData, bData.Length);
        var c = Tensor.FromArray(Cpu, cData, cData.Length);
        Cpu.GemmStridedBatched(ta, tb, m, n, k, 1.25f, a, sa, b, sb, 0.5f, c, sc, count);
        var got = c.ToArray();
        for (int i = 0; i < count; i++)
        {
            var expected = NaiveReference.Gemm(ta, tb, m, n, k, 1.25, aData, (int)(i * sa), bData, (int)(i * sb), 0.5, cData, (int)(i * sc));
            double worst = TestData.WorstRatio(got[(int)(i * sc)..], expected, 2e-6 * (k + 1), 1e-5, out int wi);
            Assert.That(worst, Is.LessThanOrEqualTo(1), $"batch {i} element {wi}");
            // The padding between matrices keeps its old value.
            Assert.That(got[i * sc + m * n], Is.EqualTo(cData[i * sc + m * n]));
        }
    }

    [TestCase(1, 1, 1)]
    [TestCase(3, 33, 65)]
    [TestCase(2, 257, 130)]
    public void TransposeMatchesIndexSwap(int batch, int rows, int cols)
    {
        var xData = TestData.Uniform(20, (long)batch * rows * cols);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(Cpu, xData, batch, rows, cols);
        var y = Tensor.Empty(Cpu, batch, cols, rows);
        Cpu.Transpose(x, batch, rows, cols, y);
        var got = y.ToArray();
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    if (got[(b * cols + c) * rows + r] != xData[(b * rows + r) * cols + c])
                        Assert.Fail($"batch {b} ({r},{c}) not transposed");
    }

    /// <summary>A pre-packed A (Sgemm.PackAllA, shared by a convolution's chunks) gives the same C as packing per call.</summary>
    [TestCase(false, 1, 1, 1)]
    [TestCase(false, 9, 33, 7)]
    [TestCase(true, 9, 33, 7)]
    [TestCase(false, 130, 40, 300)]
    [TestCase(true, 130, 40, 300)]
    [TestCase(true, 257, 65, 513)]
    public void PrePackedAMatchesNaive(bool ta, int m, int n, int k)
    {
        var aData = TestData.Uniform(11, (long)m * k);
        var bData = TestData.Uniform(12, (long)k * n);
        var cData = TestData.Uniform(13, (long)m * n);
        var expected = NaiveReference.Gemm(ta, false, m, n, k, 1.5, aData, 0, bData, 0, -0.5, cData, 0);
        var packed = Sgemm.PackAllA(ta, aData, 0, ta ? m : k, m, k);
        foreach (bool parallel in new[] { false, true })
        {
            var got = (float[])cData.Clone();
            Sgemm.Run(ta, false, m, n, k, 1.5f, new float[1], 0, 0, bData, 0, n, -0.5f, got, 0, n, parallel, packed);
            double worst = TestData.WorstRatio(got, expected, 2e-6 * (k + 1), 1e-5, out int wi);
            Assert.That(worst, Is.LessThanOrEqualTo(1), $"parallel={parallel}: element {wi} got {got[wi]} want {expected[wi]}");
        }
    }

    /// <summary>A pre-packed B (the layout Im2Col.LowerPacked writes) gives the same C as packing per call.</summary>
    [TestCase(1, 1, 1)]
    [TestCase(9, 33, 7)]
    [TestCase(70, 40, 300)]
    [TestCase(129, 95, 513)]
    public void PrePackedBMatchesNaive(int m, int n, int k)
    {
        var aData = TestData.Uniform(21, (long)m * k);
        var bData = TestData.Uniform(22, (long)k * n);
        var cData = TestData.Uniform(23, (long)m * n);
        var expected = NaiveReference.Gemm(false, false, m, n, k, 1.5, aData, 0, bData, 0, -0.5, cData, 0);
        // Build the packed layout independently of Sgemm's packing: element by element from its definition.
        var packed = new float[Sgemm.PackedBLength(n, k)];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
            {
                int p0 = p / Sgemm.KC * Sgemm.KC, j0 = j / Sgemm.NR * Sgemm.NR, kc = Math.Min(Sgemm.KC, k - p0);
                packed[Sgemm.PackedBOffset(n, p0, j0, kc) + (p - p0) * Sgemm.NR + (j - j0)] = bData[p * n + j];
            }
        foreach (bool parallel in new[] { false, true })
        {
            var got = (float[])cData.Clone();
            Sgemm.Run(false, false, m, n, k, 1.5f, aData, 0, k, new float[1], 0, 0, -0.5f, got, 0, n, parallel, packedB: packed);
            double worst = TestData.WorstRatio(got, expected, 2e-6 * (k + 1), 1e-5, out int wi);
            Assert.That(worst, Is.LessThanOrEqualTo(1), $"parallel={parallel}: element {wi} got {got[wi]} want {expected[wi]}");
        }
    }
}
