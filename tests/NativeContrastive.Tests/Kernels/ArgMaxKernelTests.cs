using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// argmax.cu against CpuBackend.ArgMax, exact (same column, the value bit for bit): one column,
/// rows shorter and longer than a warp, partial blocks of rows, heavy ties (the first column
/// wins), NaN anywhere (ranks last; a row of NaN gives column 0), ±0 (tie) and ±inf. The k-means
/// shape (10 000 × 10) and a wide row (1 × 5000) included.
/// </summary>
public class ArgMaxKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public enum Values { Uniform, Ties, Specials }

    private static float[] Make(Values kind, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        float[] specials = [float.NaN, -0f, 0f, float.NegativeInfinity, float.PositiveInfinity, 0.5f, -0.5f];
        var x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++)
            x[i] = kind switch
            {
                Values.Uniform => 2f * rng.NextSingle() - 1f,
                Values.Ties => MathF.Round(3f * rng.NextSingle()),
                _ => specials[rng.Next(specials.Length)],
            };
        if (kind == Values.Specials && rows > 1)
            for (int c = 0; c < cols; c++) x[cols + c] = float.NaN;   // row 1: all NaN
        return x;
    }

    [TestCase(1, 1, Values.Uniform)]
    [TestCase(3, 5, Values.Uniform)]
    [TestCase(9, 33, Values.Uniform)]
    [TestCase(17, 100, Values.Ties)]
    [TestCase(13, 70, Values.Specials)]
    [TestCase(10_000, 10, Values.Uniform)]
    [TestCase(1, 5000, Values.Ties)]
    public void EqualsCpu(int rows, int cols, Values kind)
    {
        var x = Make(kind, rows, cols, rows * 31 + cols);
        using var dx = Up(x);
        var kernels = new ArgMaxKernels(Driver);
        foreach (bool max in new[] { true, false })
        {
            var cv = Tensor.Empty(Cpu, rows);
            var ci = IntTensor.Empty(Cpu, rows);
            var cx = Tensor.FromArray(Cpu, x, rows, cols);
            if (max) Cpu.ArgMaxRows(cx, rows, cols, cv, ci); else Cpu.ArgMinRows(cx, rows, cols, cv, ci);
            using var values = Up(Enumerable.Repeat(1234f, rows).ToArray());
            using var indices = Up(Enumerable.Repeat(-7, rows).ToArray());
            if (max) kernels.ArgMaxRows(dx, rows, cols, values, indices); else kernels.ArgMinRows(dx, rows, cols, values, indices);
            Assert.That(indices.ToArray<int>(), Is.EqualTo(ci.ToArray()), $"{(max ? "argmax" : "argmin")} indices");
            Assert.That(values.ToArray<float>().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(cv.ToArray().Select(BitConverter.SingleToInt32Bits)),
                $"{(max ? "argmax" : "argmin")} values");
        }
    }

    [Test]
    public void HandComputedRows()
    {
        // Row 0: ties at 3 → column 1; row 1: NaN first, then the max; row 2: all NaN → 0; row 3: −0 before +0 → column 0.
        float[] x = [1, 3, 3, 2, float.NaN, -1, 5, 5, float.NaN, float.NaN, float.NaN, float.NaN, -0f, 0f, -1f, -1f];
        using var dx = Up(x);
        using var v = Zeros(4);
        using var i = Up(new int[4]);
        var k = new ArgMaxKernels(Driver);
        k.ArgMaxRows(dx, 4, 4, v, i);
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 1, 2, 0, 0 }));
        Assert.That(float.IsNaN(v.ToArray<float>()[2]) && float.IsNegative(v.ToArray<float>()[3]), "the element itself: NaN, −0");
        k.ArgMinRows(dx, 4, 4, v, i);
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 0, 1, 0, 2 }));
        Assert.That(v.ToArray<float>()[..2], Is.EqualTo(new[] { 1f, -1f }));
    }

    [Test]
    public void RejectsNoColumns()
    {
        using var dx = Up(new float[1]);
        using var v = Zeros(1);
        using var i = Up(new int[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArgMaxKernels(Driver).ArgMaxRows(dx, 1, 0, v, i));
    }
}
