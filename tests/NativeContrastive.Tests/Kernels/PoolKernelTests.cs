using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// pool.cu against the cpu backend. Max-pool forward and backward must match exactly: the same
/// comparisons pick the same winner (inputs are rounded to a few levels so that windows hold ties,
/// which the first maximum in row-major order wins), and the backward gather adds the same values
/// in the same ascending order as the cpu scatter. Global average pool: forward atol 1e-6 +
/// rtol 1e-5 (summation order), backward exact (one product each).
/// </summary>
public class PoolKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public static IEnumerable<TestCaseData> Geometries()
    {
        yield return Case(new PoolShape(2, 3, 9, 9, 3, 2, 1), "3x3 s2 p1 (ResNet stem) odd H W");
        yield return Case(new PoolShape(2, 2, 8, 6, 2, 2, 0), "2x2 s2 p0");
        yield return Case(new PoolShape(1, 3, 7, 5, 3, 1, 1), "3x3 s1 p1: every pixel in up to 9 windows");
        yield return Case(new PoolShape(3, 2, 11, 10, 3, 2, 0), "3x3 s2 p0, rows and columns left over");
        yield return Case(new PoolShape(1, 2, 5, 6, 2, 1, 1), "2x2 s1 p1");
        yield return Case(new PoolShape(2, 1, 4, 4, 5, 3, 2), "window larger than the image");
    }

    private static TestCaseData Case(PoolShape g, string name) => new TestCaseData(g).SetName($"{{m}}({name})");

    private static Pool2dGeometry Cpu2d(PoolShape g) => new(g.N, g.C, g.H, g.W, g.Kernel, g.Stride, g.Pad);

    private static Tensor T(float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    /// <summary>Values on a grid of 5 levels: windows are full of ties.</summary>
    private static float[] Levels(long n, int seed) => Data(n, seed).Select(v => MathF.Round(v)).ToArray();

    [TestCaseSource(nameof(Geometries))]
    public void MaxPoolForwardAndBackward(PoolShape g)
    {
        var k = new PoolKernels(Driver);
        float[] x = Levels(g.InputLength, 1), gy = Data(g.OutputLength, 2);
        using var scope = TensorScope.Begin();
        var y = Tensor.Empty(Cpu, (int)g.OutputLength);
        var argmax = IntTensor.Empty(Cpu, (int)g.OutputLength);
        Cpu.MaxPool2dForward(T(x), y, argmax, Cpu2d(g));
        var gx = Tensor.Empty(Cpu, (int)g.InputLength);
        Cpu.MaxPool2dBackward(T(gy), argmax, gx, Cpu2d(g));

        using var dx = Up(x);
        using var dy = Up(Enumerable.Repeat(float.NaN, (int)g.OutputLength).ToArray());
        using var da = Up(Enumerable.Repeat(-7, (int)g.OutputLength).ToArray());
        k.MaxPool2dForward(dx, dy, da, g);
        Assert.That(dy.ToArray<float>(), Is.EqualTo(y.ToArray()), "y");
        Assert.That(da.ToArray<int>(), Is.EqualTo(argmax.ToArray()), "argmax");

        using var dgy = Up(gy);
        using var dgx = Up(Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray());
        k.MaxPool2dBackward(dgy, da, dgx, g);
        Assert.That(dgx.ToArray<float>(), Is.EqualTo(gx.ToArray()), "dx");
    }

    [TestCase(2, 3, 16)]
    [TestCase(5, 7, 49)]
    [TestCase(3, 11, 1)]
    [TestCase(1, 2, 1031)]
    public void GlobalAvgPool(int n, int c, int hw)
    {
        var k = new PoolKernels(Driver);
        float[] x = Data((long)n * c * hw, 3), gy = Data(n * c, 4);
        using var scope = TensorScope.Begin();
        var y = Tensor.Empty(Cpu, n * c);
        Cpu.GlobalAvgPoolForward(T(x), y, n, c, hw);
        var gx = Tensor.Empty(Cpu, n * c * hw);
        Cpu.GlobalAvgPoolBackward(T(gy), gx, n, c, hw);

        using var dx = Up(x);
        using var dy = Up(Enumerable.Repeat(float.NaN, n * c).ToArray());
        k.GlobalAvgPoolForward(dx, dy, n, c, hw);
        Close.Assert(y.ToArray(), dy.ToArray<float>(), 1e-6f, 1e-5f, "y");
        using var dgy = Up(gy);
        using var dgx = Up(Enumerable.Repeat(float.NaN, n * c * hw).ToArray());
        k.GlobalAvgPoolBackward(dgy, dgx, n, c, hw);
        Assert.That(dgx.ToArray<float>(), Is.EqualTo(gx.ToArray()), "dx");
    }
}
