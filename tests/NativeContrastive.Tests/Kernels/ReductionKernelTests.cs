using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// reduction.cu against double-precision C# sums. Tolerance: atol 1e-5 + rtol 1e-5 of Σ|x|
/// (float accumulation in a different order; relative to the sum of magnitudes, since a sum
/// of mixed signs can be near zero).
/// </summary>
public class ReductionKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(257)]
    [TestCase(4097)]
    [TestCase(100_003)]
    public void SumAndMean(int n)
    {
        var k = new ReductionKernels(Driver);
        var x = Data(n, n + 3);
        using var dx = Up(x);
        using var result = Zeros(1);
        double sum = x.Sum(v => (double)v), mag = x.Sum(v => Math.Abs((double)v));
        k.Sum(dx, n, result);
        Assert.That(result.ToArray<float>()[0], Is.EqualTo(sum).Within(1e-5 + 1e-5 * mag), "sum");
        k.Mean(dx, n, result);
        Assert.That(result.ToArray<float>()[0], Is.EqualTo(n == 0 ? 0 : sum / n).Within(1e-5 + 1e-5 * mag / Math.Max(n, 1)), "mean");
    }

    [TestCase(0, 4)]
    [TestCase(1, 1)]
    [TestCase(5, 33)]
    [TestCase(9, 300)]
    [TestCase(70, 17)]
    [TestCase(1000, 3)]
    public void RowAndColumnSums(int rows, int cols)
    {
        var k = new ReductionKernels(Driver);
        var x = Data((long)rows * cols, rows * 31 + cols);
        using var dx = Up(x);
        using var dr = Zeros(rows);
        using var dc = Zeros(cols);
        k.RowSums(dx, dr, rows, cols, 0.5f);
        k.ColumnSums(dx, dc, rows, cols, 2f);
        var rowRef = Enumerable.Range(0, rows).Select(r => 0.5f * (float)Enumerable.Range(0, cols).Sum(c => (double)x[r * cols + c])).ToArray();
        var colRef = Enumerable.Range(0, cols).Select(c => 2f * (float)Enumerable.Range(0, rows).Sum(r => (double)x[r * cols + c])).ToArray();
        Close.Assert(rowRef, dr.ToArray<float>(), 1e-5f * Math.Max(cols, 1), 1e-5f, "row sums");
        Close.Assert(colRef, dc.ToArray<float>(), 4e-5f * Math.Max(rows, 1), 1e-5f, "column sums");
    }
}
