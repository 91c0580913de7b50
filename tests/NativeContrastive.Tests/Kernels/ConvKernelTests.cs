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

    /// <summary>Backward data's stride phases: strides 2 and 3, pads 0/1/3, kernels 1/3/7, odd sizes, 1/3/odd channels, phases without taps (1×1/3) or without pixels (H = 2, stride 3).</summary>
    public static IEnumerable<TestCaseData> PhaseGeometries()
    {
        yield return Case(new ConvShape(2, 3, 9, 11, 5, 3, 3, 2, 2, 1, 1), "3x3 s2 p1 C=3 odd");
        yield return Case(new ConvShape(1, 1, 13, 8, 3, 7, 7, 3, 3, 3, 3), "7x7 s3 p3 C=1");
        yield return Case(new ConvShape(2, 5, 10, 7, 7, 3, 3, 3, 3, 0, 0), "3x3 s3 p0 C=5");
        yield return Case(new ConvShape(2, 7, 7, 5, 3, 1, 1, 3, 3, 0, 0), "1x1 s3: phases without taps");
        yield return Case(new ConvShape(3, 3, 2, 5, 4, 1, 1, 3, 2, 0, 0), "1x1 strides 3/2 H=2: a phase without pixels");
        yield return Case(new ConvShape(1, 9, 11, 11, 13, 7, 7, 2, 2, 3, 3), "7x7 s2 p3 C=9 K=13");
        yield return Case(new ConvShape(2, 3, 6, 9, 65, 3, 3, 2, 3, 1, 0), "3x3 strides 2/3 pads 1/0 K=65");
    }

    [TestCaseSource(nameof(PhaseGeometries))]
    public void BackwardDataPhases(ConvShape g) => BackwardData(g);

    [Test]
    public void PhasedBackwardDataSkipsTheTapsAStrideNeverHits()
    {
        double Ratio(ConvShape g) => (double)ConvKernels.BackwardDataMacs(g) / ConvKernels.NaiveBackwardDataMacs(g);
        Assert.That(Ratio(new ConvShape(8, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1)), Is.EqualTo(1.0), "stride 1: one phase, every tap");
        Assert.That(Ratio(new ConvShape(8, 64, 32, 32, 128, 3, 3, 2, 2, 1, 1)), Is.EqualTo(0.25), "3x3/2: a quarter");
        Assert.That(Ratio(new ConvShape(8, 16, 33, 33, 32, 3, 3, 3, 3, 1, 1)), Is.EqualTo(1.0 / 9).Within(1e-12), "3x3/3: a ninth");
        Assert.That(Ratio(new ConvShape(8, 64, 32, 32, 128, 1, 1, 2, 2, 0, 0)), Is.EqualTo(0.25), "1x1/2: only phase (0,0) has a tap");
        // 7×7/2 stem on even sizes: taps per phase 4 and 3 of 7 → (½·4/7 + ½·3/7)² = ¼.
        Assert.That(Ratio(new ConvShape(4, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3)), Is.EqualTo(0.25).Within(1e-12), "7x7/2 stem");
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
