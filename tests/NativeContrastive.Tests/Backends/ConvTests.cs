using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// cpu convolution (im2col + SGEMM over image chunks) against direct double loops. The
/// geometries cover padding, stride 2, non-square inputs and kernels, the pointwise (1×1 s1 p0)
/// fast path, 1×1 stride 2, and batches that make multi-image chunks (P·Q small) on both cores.
/// Tolerance: |got − ref| ≤ 1e-5·(C·R·S or N·P·Q terms) + 1e-5·|ref|.
/// </summary>
public class ConvTests
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public static IEnumerable<TestCaseData> Geometries()
    {
        yield return new TestCaseData(new NaiveReference.Conv(3, 2, 7, 5, 4, 3, 3, 2, 1)).SetName("3x3 s2 p1, odd non-square input");
        yield return new TestCaseData(new NaiveReference.Conv(2, 3, 6, 6, 5, 3, 3, 1, 1)).SetName("3x3 s1 p1");
        yield return new TestCaseData(new NaiveReference.Conv(2, 3, 5, 6, 2, 2, 3, 1, 0)).SetName("2x3 kernel no padding");
        yield return new TestCaseData(new NaiveReference.Conv(5, 6, 4, 3, 7, 1, 1, 1, 0)).SetName("1x1 pointwise, multi-image chunks");
        yield return new TestCaseData(new NaiveReference.Conv(1, 6, 9, 9, 3, 1, 1, 1, 0)).SetName("1x1 pointwise, one image");
        yield return new TestCaseData(new NaiveReference.Conv(4, 5, 8, 8, 6, 1, 1, 2, 0)).SetName("1x1 stride 2 shortcut");
        yield return new TestCaseData(new NaiveReference.Conv(21, 3, 4, 4, 9, 3, 3, 1, 1)).SetName("21 images of 4x4: chunks of several images");
        yield return new TestCaseData(new NaiveReference.Conv(2, 16, 12, 12, 40, 3, 3, 1, 1)).SetName("wider channels");
        // Stride 1 with Q = W takes Im2Col's aligned path (whole shifted planes, wrapped row edges zeroed).
        yield return new TestCaseData(new NaiveReference.Conv(3, 2, 7, 5, 3, 5, 5, 1, 2)).SetName("aligned: 5x5 p2 on non-square 7x5");
        yield return new TestCaseData(new NaiveReference.Conv(2, 2, 1, 6, 3, 3, 3, 1, 1)).SetName("aligned: 3x3 p1 on a one-row image");
        yield return new TestCaseData(new NaiveReference.Conv(2, 2, 6, 1, 3, 3, 3, 1, 1)).SetName("aligned: 3x3 p1 on a one-column image");
        yield return new TestCaseData(new NaiveReference.Conv(2, 3, 5, 4, 2, 1, 3, 1, 1)).SetName("aligned: 1x3 p1, P = H + 2");
        yield return new TestCaseData(new NaiveReference.Conv(9, 2, 3, 3, 4, 3, 3, 1, 1)).SetName("aligned: 3x3 p1 on 3x3, chunks of several images");
        yield return new TestCaseData(new NaiveReference.Conv(2, 2, 4, 5, 3, 3, 3, 1, 2)).SetName("not aligned: 3x3 p2, Q = W + 2");
    }

    private static Conv2dGeometry Geometry(NaiveReference.Conv c) => new(c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.Stride, c.Stride, c.Pad, c.Pad);

    [TestCaseSource(nameof(Geometries))]
    public void ForwardMatchesDirectLoops(NaiveReference.Conv c)
    {
        foreach (bool withBias in new[] { false, true })
        {
            var x = TestData.Uniform(1, c.N * c.C * c.H * c.W);
            var w = TestData.Uniform(2, c.K * c.C * c.R * c.S);
            var b = withBias ? TestData.Uniform(3, c.K) : null;
            var expected = c.Forward(x, w, b);
            using var scope = TensorScope.Begin();
            var y = Tensor.Empty(Cpu, c.N, c.K, c.P, c.Q);
            Cpu.Fill(y, float.NaN);
            Cpu.Conv2dForward(Tensor.FromArray(Cpu, x, x.Length), Tensor.FromArray(Cpu, w, w.Length),
                              b is null ? null : Tensor.FromArray(Cpu, b, b.Length), y, Geometry(c));
            double worst = TestData.WorstRatio(y.ToArray(), expected, 1e-5 * c.C * c.R * c.S, 1e-5, out int wi);
            Assert.That(worst, Is.LessThanOrEqualTo(1), $"bias={withBias}, element {wi}");
        }
    }

    [TestCaseSource(nameof(Geometries))]
    public void BackwardDataMatchesDirectLoops(NaiveReference.Conv c)
    {
        var dy = TestData.Uniform(4, c.N * c.K * c.P * c.Q);
        var w = TestData.Uniform(5, c.K * c.C * c.R * c.S);
        var expected = c.BackwardData(dy, w);
        using var scope = TensorScope.Begin();
        var dx = Tensor.Empty(Cpu, c.N, c.C, c.H, c.W);
        Cpu.Fill(dx, float.NaN);
        Cpu.Conv2dBackwardData(Tensor.FromArray(Cpu, dy, dy.Length), Tensor.FromArray(Cpu, w, w.Length), dx, Geometry(c));
        double worst = TestData.WorstRatio(dx.ToArray(), expected, 1e-5 * c.K * c.R * c.S, 1e-5, out int wi);
        Assert.That(worst, Is.LessThanOrEqualTo(1), $"element {wi}");
    }

    [TestCaseSource(nameof(Geometries))]
    public void BackwardWeightAndBiasMatchDirectLoops(NaiveReference.Conv c)
    {
        var x = TestData.Uniform(6, c.N * c.C * c.H * c.W);
        var dy = TestData.Uniform(7, c.N * c.K * c.P * c.Q);
        var expected = c.BackwardWeight(x, dy);
        var expectedBias = new double[c.K];
        for (int i = 0; i < dy.Length; i++) expectedBias[i / (c.P * c.Q) % c.K] += dy[i];
        using var scope = TensorScope.Begin();
        var dw = Tensor.Empty(Cpu, c.K, c.C, c.R, c.S);
        var db = Tensor.Empty(Cpu, c.K);
        Cpu.Fill(dw, float.NaN);
        Cpu.Fill(db, float.NaN);
        Cpu.Conv2dBackwardWeight(Tensor.FromArray(Cpu, x, x.Length), Tensor.FromArray(Cpu, dy, dy.Length), dw, db, Geometry(c));
        int terms = c.N * c.P * c.Q;
        Assert.That(TestData.WorstRatio(dw.ToArray(), expected, 1e-5 * terms, 1e-5, out int wi), Is.LessThanOrEqualTo(1), $"dw element {wi}");
        Assert.That(TestData.WorstRatio(db.ToArray(), expectedBias, 1e-5 * terms, 1e-5, out int bi), Is.LessThanOrEqualTo(1), $"dbias element {bi}");
    }
}
