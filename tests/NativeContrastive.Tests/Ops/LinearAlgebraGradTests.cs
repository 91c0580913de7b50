using NativeContrastive.Engine.Tensors;
using Op = NativeContrastive.Engine.Autograd.Ops;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>Finite-difference checks (GradCheck's default tolerances) of the matrix ops.</summary>
public class LinearAlgebraGradTests
{
    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void MatMulGradient(bool ta, bool tb)
    {
        int m = 3, k = 5, n = 4;
        var a = ta ? Random(1, -1, 1, k, m) : Random(1, -1, 1, m, k);
        var b = tb ? Random(2, -1, 1, n, k) : Random(2, -1, 1, k, n);
        GradCheck.Check(x => Op.MatMul(x[0], x[1], ta, tb), [a, b]);
    }

    [Test]
    public void MatMulShapeMatchesOpAndRejectsMismatch()
    {
        var c = Op.MatMul(Random(1, -1, 1, 5, 3), Random(2, -1, 1, 4, 5), transA: true, transB: true);
        Assert.That(c.Shape, Is.EqualTo(new[] { 3, 4 }));
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Random(1, -1, 1, 2, 3), Random(2, -1, 1, 4, 5)));
        Assert.That(ex!.Message, Does.Contain("inner dimensions"));
    }

    [Test]
    public void LinearWithBiasGradient() =>
        GradCheck.Check(x => Op.Linear(x[0], x[1], x[2]),
            [Random(3, -1, 1, 3, 5), Random(4, -1, 1, 4, 5), Random(5, -1, 1, 4)]);

    [Test]
    public void LinearWithoutBiasGradient() =>
        GradCheck.Check(x => Op.Linear(x[0], x[1], null),
            [Random(6, -1, 1, 7, 2), Random(7, -1, 1, 3, 2)]);

    [Test]
    public void LinearComputesXWTransposePlusBias()
    {
        var y = Op.Linear(
            Tensor.FromArray(Cpu, [1f, 2f], 1, 2),
            Tensor.FromArray(Cpu, [1f, 0f, 3f, -1f, 0.5f, 0.5f], 3, 2),
            Tensor.FromArray(Cpu, [10f, 20f, 30f], 3));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 11f, 21f, 31.5f }));
    }

    [Test]
    public void TransposeGradient() =>
        GradCheck.Check(x => Op.Transpose(x[0]), [Random(8, -1, 1, 3, 5)]);

    [Test]
    public void L2NormalizeGradient() =>
        GradCheck.Check(x => Op.L2Normalize(x[0]), [Random(9, -1, 1, 4, 7)], h: 1e-3);

    [Test]
    public void L2NormalizeFeedingMatMulGradient() =>
        // The SimCLR pattern: similarities of normalised rows, s = z·zᵀ.
        GradCheck.Check(x =>
        {
            var z = Op.L2Normalize(x[0]);
            return Op.MatMul(z, z, transB: true);
        }, [Random(10, -1, 1, 5, 3)], h: 1e-3);
}
