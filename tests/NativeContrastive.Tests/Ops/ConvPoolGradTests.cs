using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>Finite-difference checks (GradCheck's default tolerances) of convolution and pooling.</summary>
public class ConvPoolGradTests
{
    [Test]
    public void Conv2dStride2Padding1WithBias() =>
        GradCheck.Check(x => Op.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1),
            [Random(1, -1, 1, 2, 3, 5, 4), Random(2, -1, 1, 4, 3, 3, 3), Random(3, -1, 1, 4)]);

    [Test]
    public void Conv2dNoBiasNonSquareKernel() =>
        GradCheck.Check(x => Op.Conv2d(x[0], x[1], null),
            [Random(4, -1, 1, 2, 2, 4, 5), Random(5, -1, 1, 3, 2, 2, 3)]);

    [Test]
    public void Conv2dPointwiseManyImages() =>
        // 9 images of 2x2: several images per GEMM chunk.
        GradCheck.Check(x => Op.Conv2d(x[0], x[1], x[2]),
            [Random(6, -1, 1, 9, 3, 2, 2), Random(7, -1, 1, 2, 3, 1, 1), Random(8, -1, 1, 2)]);

    [Test]
    public void Conv2dRejectsChannelMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Random(1, -1, 1, 1, 3, 5, 5), Random(2, -1, 1, 4, 2, 3, 3), null));
        Assert.That(ex!.Message, Does.Contain("input channels"));
    }

    /// <summary>Distinct values spaced 0.05 apart: h = 0.01 never swaps a window's maximum.</summary>
    private static Tensor Distinct(int seed, params int[] shape) =>
        Tensor.FromArray(Cpu, TestData.Spread(seed, (int)ShapeUtil.Count(shape), 0.05f), shape);

    [Test]
    public void MaxPool3x3Stride2Padding1() =>
        GradCheck.Check(x => Op.MaxPool2d(x[0], 3, 2, 1), [Distinct(9, 2, 2, 7, 6)]);

    [Test]
    public void MaxPool2x2Stride2() =>
        GradCheck.Check(x => Op.MaxPool2d(x[0], 2, 2), [Distinct(10, 1, 3, 4, 5)]);

    [Test]
    public void MaxPoolShape()
    {
        var y = Op.MaxPool2d(Random(1, -1, 1, 2, 3, 32, 32), 3, 2, 1);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 16, 16 }));
    }

    [Test]
    public void GlobalAvgPoolGradient() =>
        GradCheck.Check(x => Op.GlobalAvgPool(x[0]), [Random(11, -1, 1, 2, 3, 3, 2)]);
}
