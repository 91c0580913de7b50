using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// conv.cu (implicit GEMM) against the cpu backend's convolution on geometries that cover the
/// first layer (C = 1 and 3, 3×3 and the 7×7/2 stem), 1×1 pointwise and 1×1/2 shortcuts, stride 2
/// with odd H/W, no padding, a non-square kernel with unequal strides and pads, K above one
/// 64-row tile, C·R·S over many 16-deep slices, and pixel counts that leave a partial 128-column
/// tile. Backward weight also runs with its reduction split three ways (partial sums + ordered reduce).
/// Tolerance per element: atol 5e-7·(products per sum) + rtol 1e-5, data in [−1, 1] (both sides
/// accumulate in float, in different orders; a missing or misplaced product is ~0.25, far above it).
/// </summary>
public class ConvKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public static IEnumerable<TestCaseData> Geometries()
    {
        yield return Case(new ConvShape(2, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1), "first layer C=3 3x3 s1 p1");
        yield return Case(new ConvShape(2, 1, 11, 11, 5, 7, 7, 2, 2, 3, 3), "first layer C=1 7x7 s2 p3");
        yield return Case(new ConvShape(1, 3, 13, 10, 6, 7, 7, 2, 2, 3, 3), "stem C=3 7x7 s2 p3 non-square");
        yield return Case(new ConvShape(3, 20, 5, 7, 70, 1, 1, 1, 1, 0, 0), "1x1 pointwise K=70 (two row tiles)");
        yield return Case(new ConvShape(2, 17, 7, 7, 9, 1, 1, 2, 2, 0, 0), "1x1 s2 shortcut");
        yield return Case(new ConvShape(2, 19, 7, 9, 33, 3, 3, 2, 2, 1, 1), "3x3 s2 p1 odd H W");
        yield return Case(new ConvShape(2, 4, 6, 5, 3, 3, 3, 1, 1, 0, 0), "3x3 s1 p0");
        yield return Case(new ConvShape(2, 5, 6, 7, 4, 2, 3, 1, 2, 0, 1), "2x3 kernel, strides 1/2, pads 0/1");
        yield return Case(new ConvShape(1, 40, 5, 5, 20, 3, 3, 1, 1, 1, 1), "C=40: 23 slices");
    }

    private static TestCaseData Case(ConvShape g, string name) => new TestCaseData(g).SetName($"{{m}}({name})");

    private static Conv2dGeometry Cpu2d(ConvShape g) => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);

    private static Tensor T(float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    private static void AssertClose(float[] expected, float[] actual, long terms, string what) =>
        Close.Assert(expected, actual, 5e-7f * Math.Max(terms, 1), 1e-5f, what);

    [TestCaseSource(nameof(Geometries))]
    public void Forward(ConvShape g)
    {
        using var k = new ConvKernels(Driver);
        float[] x = Data(g.InputLength, 1, -1f, 1f), w = Data(g.WeightLength, 2, -1f, 1f), b = Data(g.K, 3, -1f, 1f);
        using var dx = Up(x);
        using var dw = Up(w);
        using var db = Up(b);
        using var dy = Up(Enumerable.Repeat(float.NaN, (int)g.OutputLength).ToArray());
        foreach (bool withBias in new[] { false, true })
        {
            using var scope = TensorScope.Begin();
            var y = Tensor.Empty(Cpu, (int)g.OutputLength);
            Cpu.Conv2dForward(T(x), T(w), withBias ? T(b) : null, y, Cpu2d(g));
            k.Conv2dForward(dx, dw, withBias ? db : null, dy, g);
            AssertClose(y.ToArray(), dy.ToArray<float>(), (long)g.C * g.R * g.S, $"y (bias {withBias})");
        }
    }

    [TestCaseSource(nameof(Geometries))]
    public void BackwardData(ConvShape g)
    {
        using var k = new ConvKernels(Driver);
        float[] gy = Data(g.OutputLength, 4, -1f, 1f), w = Data(g.WeightLength, 2, -1f, 1f);
        using var dgy = Up(gy);
        using var dw = Up(w);
        using var dgx = Up(Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray());   // every element must be overwritten
        using var scope = TensorScope.Begin();
        var gx = Tensor.Empty(Cpu, (int)g.InputLength);
        Cpu.Conv2dBackwardData(T(gy), T(w), gx, Cpu2d(g));
        k.Conv2dBackwardData(dgy, dw, dgx, g);
        AssertClose(gx.ToArray(), dgx.ToArray<float>(), (long)g.K * g.R * g.S, "dx");
    }

    [TestCaseSource(nameof(Geometries))]
    public void BackwardWeight(ConvShape g)
    {
        using var k = new ConvKernels(Driver);
        float[] x = Data(g.InputLength, 1, -1f, 1f), gy = Data(g.OutputLength, 4, -1f, 1f);
        using var dx = Up(x);
        using var dgy = Up(gy);
        using var scope = TensorScope.Begin();
        var gw = Tensor.Empty(Cpu, (int)g.WeightLength);
        var gb = Tensor.Empty(Cpu, g.K);
        Cpu.Conv2dBackwardWeight(T(x), T(gy), gw, gb, Cpu2d(g));
        long terms = (long)g.N * g.P * g.Q;
        foreach (int splits in new[] { ConvKernels.BackwardWeightSplits(g), 3 })
        {
            using var dgw = Up(Enumerable.Repeat(float.NaN, (int)g.WeightLength).ToArray());
            using var dgb = Up(Enumerable.Repeat(float.NaN, g.K).ToArray());
            k.Conv2dBackwardWeight(dx, dgy, dgw, dgb, g, splits);
            AssertClose(gw.ToArray(), dgw.ToArray<float>(), terms, $"dw ({splits} splits)");
            AssertClose(gb.ToArray(), dgb.ToArray<float>(), terms, $"dbias ({splits} splits)");
        }
    }

    [Test]
    public void BackwardWeightWithoutBiasAndEmptyBatch()
    {
        using var k = new ConvKernels(Driver);
        var g = new ConvShape(0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1);
        using var x = Zeros(1);
        using var gy = Zeros(1);
        using var gw = Up(Enumerable.Repeat(float.NaN, (int)g.WeightLength).ToArray());
        using var gb = Up(Enumerable.Repeat(float.NaN, g.K).ToArray());
        k.Conv2dBackwardWeight(x, gy, gw, gb, g);
        Assert.That(gw.ToArray<float>(), Is.All.EqualTo(0f), "no images: dw = 0");
        Assert.That(gb.ToArray<float>(), Is.All.EqualTo(0f), "no images: dbias = 0");
    }

    [Test]
    public void SplitPolicyFillsTheDeviceWithinItsLimits()
    {
        // ResNet-18 layer4 3×3 at batch 512 on 32×32 inputs: 8×36 tiles, N·P·Q = 8192 rows.
        var late = new ConvShape(512, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1);
        Assert.That(ConvKernels.BackwardWeightSplits(late), Is.EqualTo(4), "1024 target blocks / 288 tiles");
        // First layer: one tile and a long reduction: the block target decides.
        var first = new ConvShape(512, 3, 32, 32, 64, 3, 3, 1, 1, 1, 1);
        Assert.That(ConvKernels.BackwardWeightSplits(first), Is.EqualTo(1024));
        // Tiny reduction: one split.
        Assert.That(ConvKernels.BackwardWeightSplits(new ConvShape(1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1)), Is.EqualTo(1));
        // Huge weights: the partial sums stay within MaxPartialFloats.
        var wide = new ConvShape(64, 2048, 8, 8, 2048, 3, 3, 1, 1, 1, 1);
        Assert.That((long)ConvKernels.BackwardWeightSplits(wide) * wide.WeightLength, Is.LessThanOrEqualTo(Math.Max(ConvKernels.MaxPartialFloats, wide.WeightLength)));
    }

    [Test]
    public void RejectsBuffersThatAreTooSmall()
    {
        using var k = new ConvKernels(Driver);
        var g = new ConvShape(1, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1);
        using var x = Zeros(g.InputLength);
        using var w = Zeros(g.WeightLength - 1);
        using var y = Zeros(g.OutputLength);
        Assert.Throws<ArgumentException>(() => k.Conv2dForward(x, w, null, y, g));
    }
}
