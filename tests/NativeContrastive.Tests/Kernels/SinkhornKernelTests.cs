using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// sinkhorn.cu against the cpu primitive (CpuBackend.Sinkhorn, double) in the three fiber orders.
/// Tolerances: the kernels carry every exponent t' + u + v in float, so a code's relative error is
/// a few ulps of the largest exponent magnitude: with scores in [−1, 1] and ε = 0.05 (|t'| ≤ 40)
/// atol 1e-9 + rtol 2e-5 (measured ≤ 8e-6 relative); each sample's code sums to 1 within 1e-5 (K
/// float exps and a float sum). Adversarial scores are checked for the properties (finite, ≥ 0, rows summing
/// to 1, equipartition after many iterations) and against the cpu where the row-0 shift keeps the
/// exponents small. Shapes: one sample, one prototype, slabs of 1 to 32 rows with a partial last
/// slab, K above the 512 threads of a slab block, rows not a multiple of the 8 rows per block.
/// </summary>
public class SinkhornKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    private static float[] CpuCodes(float[] s, int rows, int cols, float epsilon, int iterations)
    {
        var codes = Tensor.Empty(Cpu, rows, cols);
        Cpu.SinkhornCodes(Tensor.FromArray(Cpu, s, rows, cols), codes, rows, cols, epsilon, iterations);
        var result = codes.ToArray();
        codes.Dispose();
        return result;
    }

    private float[] EmuCodes(float[] s, int rows, int cols, float epsilon, int iterations, int? slabRows = null)
    {
        var k = new SinkhornKernels(Driver);
        using var ds = Up(s);
        using var codes = Zeros((long)rows * cols);
        codes.Upload(Enumerable.Repeat(float.NaN, rows * cols).ToArray());   // an unwritten code shows
        using var scratch = DeviceBuffer.Allocate(Driver, SinkhornKernels.ScratchBytes(rows, cols, slabRows));
        scratch.Upload(Enumerable.Repeat(float.NaN, (int)(scratch.Bytes / 4)).ToArray());   // read-before-write shows
        k.SinkhornCodes(ds, codes, rows, cols, epsilon, iterations, scratch, slabRows);
        return codes.ToArray<float>();
    }

    [TestCase(1, 1, 3, null)]
    [TestCase(1, 9, 3, null)]      // one sample: the uniform code
    [TestCase(9, 1, 3, null)]      // one prototype: ones
    [TestCase(37, 45, 3, null)]    // slabs of 1 row
    [TestCase(45, 37, 1, null)]
    [TestCase(300, 45, 3, null)]   // slabs of 2 rows (automatic choice)
    [TestCase(37, 45, 3, 16)]      // 16, 16, 5
    [TestCase(70, 33, 5, 32)]      // the largest slab: 32, 32, 6
    [TestCase(13, 1100, 2, 7)]     // K > 512: each thread owns 3 prototypes
    public void MatchesCpu(int rows, int cols, int iterations, int? slabRows)
    {
        var s = Data((long)rows * cols, rows * 100 + cols, -1f, 1f);
        var expected = CpuCodes(s, rows, cols, 0.05f, iterations);
        var actual = EmuCodes(s, rows, cols, 0.05f, iterations, slabRows);
        Close.Assert(expected, actual, 1e-9f, 2e-5f, $"codes {rows}×{cols}, T = {iterations}, slab rows {slabRows?.ToString() ?? "auto"}");
        SinkhornReference.AssertCodes(actual, rows, cols, 1e-5, "emu codes");
    }

    [Test]
    public void AdversarialScores()
    {
        const int rows = 40, cols = 12;
        // |s/ε| up to 1000 (|t'| up to 2000): properties, and the cpu within what float exponents of
        // that size allow (ulp(2000) = 1.2e-4): atol 1e-6 + rtol 3e-4 (measured 4e-5 relative on the
        // codes above 1e-6, 1.3e-5 absolute).
        var wide = Data(rows * cols, 21, -50f, 50f);
        var wideCodes = EmuCodes(wide, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(wideCodes, rows, cols, 1e-5, "±50 / 0.05");
        Close.Assert(CpuCodes(wide, rows, cols, 0.05f, 3), wideCodes, 1e-6f, 3e-4f, "±50 / 0.05 vs cpu");

        // One prototype 50 above the rest in every row, and all scores ≈ −1e4: constants that the
        // shift by row 0 removes before the exponents are formed, so the cpu tolerance holds.
        var one = Data(rows * cols, 22, -1f, 1f);
        for (int b = 0; b < rows; b++) one[b * cols] += 50f;
        var oneCodes = EmuCodes(one, rows, cols, 0.05f, 200);
        SinkhornReference.AssertCodes(oneCodes, rows, cols, 1e-5, "one prototype far above");
        Close.Assert(CpuCodes(one, rows, cols, 0.05f, 200), oneCodes, 1e-9f, 2e-5f, "one prototype far above vs cpu");
        Assert.That(SinkhornReference.MarginalDeviation(oneCodes, rows, cols), Is.LessThan(1e-4), "equipartition after 200 iterations");

        var low = Data(rows * cols, 23, -1f, 1f).Select(x => -1e4f + x).ToArray();
        var lowCodes = EmuCodes(low, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(lowCodes, rows, cols, 1e-5, "≈ −1e4");
        Close.Assert(CpuCodes(low, rows, cols, 0.05f, 3), lowCodes, 1e-9f, 2e-5f, "≈ −1e4 vs cpu");

        // All rows equal: the uniform code 1/K. Near −FLT_MAX (s/ε beyond float, clamped): finite codes.
        var row = Data(cols, 24, -50f, 50f);
        var equal = EmuCodes(Enumerable.Range(0, rows).SelectMany(_ => row).ToArray(), rows, cols, 0.05f, 3);
        Close.Assert(Enumerable.Repeat(1f / cols, rows * cols).ToArray(), equal, 0f, 1e-6f, "equal rows");
        var extreme = Data(rows * cols, 25, -1f, 1f);
        for (int i = 0; i < extreme.Length; i += 3) extreme[i] = -3e38f;
        for (int i = 1; i < extreme.Length; i += 7) extreme[i] = 3e38f;
        SinkhornReference.AssertCodes(EmuCodes(extreme, rows, cols, 0.05f, 3), rows, cols, 1e-5, "±3e38 entries");
    }

    [Test]
    public void RejectsBadArgumentsOnTheHost()
    {
        var k = new SinkhornKernels(Driver);
        using var s = Zeros(6);
        using var c = Zeros(6);
        using var scratch = DeviceBuffer.Allocate(Driver, SinkhornKernels.ScratchBytes(2, 3));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => k.SinkhornCodes(s, c, 2, 3, 0f, 3, scratch))!.ParamName, Is.EqualTo("epsilon"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => k.SinkhornCodes(s, c, 2, 3, 0.05f, 0, scratch))!.ParamName, Is.EqualTo("iterations"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => k.SinkhornCodes(s, c, 2, 3, 0.05f, 3, scratch, slabRows: 33))!.ParamName, Is.EqualTo("slabRows"));
        Assert.That(Assert.Throws<ArgumentException>(() => k.SinkhornCodes(s, s, 2, 3, 0.05f, 3, scratch))!.ParamName, Is.EqualTo("codes"));
        Assert.That(Assert.Throws<ArgumentException>(() => k.SinkhornCodes(s, c, 2, 4, 0.05f, 3, scratch))!.ParamName, Is.EqualTo("scores"));
        using var small = DeviceBuffer.Allocate(Driver, 4);
        Assert.That(Assert.Throws<ArgumentException>(() => k.SinkhornCodes(s, c, 2, 3, 0.05f, 3, small))!.ParamName, Is.EqualTo("scratch"));
    }

    [Test]
    public void RepeatedCallsGiveTheSameBits()
    {
        var s = Data(300 * 45, 26, -1f, 1f);
        Assert.That(EmuCodes(s, 300, 45, 0.05f, 3), Is.EqualTo(EmuCodes(s, 300, 45, 0.05f, 3)), "no atomics: deterministic in every fiber order");
    }
}
