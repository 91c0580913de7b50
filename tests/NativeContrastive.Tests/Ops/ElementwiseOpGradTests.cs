using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>Finite-difference gradients of the elementwise and reduction ops.</summary>
public class ElementwiseOpGradTests
{
    /// <summary>Uniform values with |x| ≥ 0.1, so a ±h probe never crosses ReLU's kink.</summary>
    private static Tensor AwayFromZero(int seed, params int[] shape)
    {
        var a = GradCheck.Random(seed, -1f, 1f, shape).ToArray();
        for (int i = 0; i < a.Length; i++) a[i] = MathF.CopySign(0.1f + MathF.Abs(a[i]), a[i]);
        return Tensor.FromArray(GradCheck.Cpu, a, shape);
    }

    [Test]
    public void AddGradient() => GradCheck.Check(x => Ops.Add(x[0], x[1]),
        [GradCheck.Random(1, -1, 1, 2, 3, 4), GradCheck.Random(2, -1, 1, 2, 3, 4)]);

    [Test]
    public void MulGradient() => GradCheck.Check(x => Ops.Mul(x[0], x[1]),
        [GradCheck.Random(3, -1, 1, 3, 5), GradCheck.Random(4, -1, 1, 3, 5)]);

    [Test]
    public void SumGradient() => GradCheck.Check(x => Ops.Sum(x[0]), [GradCheck.Random(5, -1, 1, 4, 3)]);

    [Test]
    public void MeanGradient() => GradCheck.Check(x => Ops.Mean(x[0]), [GradCheck.Random(6, -1, 1, 9)]);

    [Test]
    public void ReluGradient() => GradCheck.Check(x => Ops.Relu(x[0]), [AwayFromZero(7, 4, 5)]);

    [Test]
    public void ReluForward()
    {
        var y = Ops.Relu(Tensor.FromArray(GradCheck.Cpu, [-2f, -0f, 0.5f, 3f], 4));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0.5f, 3f }));
    }

    [Test]
    public void ExpGradient() => GradCheck.Check(x => Ops.Exp(x[0]), [GradCheck.Random(8, -2, 2, 3, 4)]);

    [Test]
    public void LogGradient() => GradCheck.Check(x => Ops.Log(x[0]), [GradCheck.Random(9, 0.5f, 3f, 11)]);

    [Test]
    public void ScaleGradient() => GradCheck.Check(x => Ops.Scale(x[0], -2.5f, 0.75f), [GradCheck.Random(10, -1, 1, 2, 5)]);

    [Test]
    public void ScaleForwardIsAffine()
    {
        var y = Ops.Scale(Tensor.FromArray(GradCheck.Cpu, [1f, -2f], 2), 3f, 0.5f);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 3.5f, -5.5f }));
    }

    [Test]
    public void SubGradient() => GradCheck.Check(x => Ops.Sub(x[0], x[1]),
        [GradCheck.Random(11, -1, 1, 3, 3), GradCheck.Random(12, -1, 1, 3, 3)]);

    [Test]
    public void SubForwardAndShapeCheck()
    {
        var a = Tensor.FromArray(GradCheck.Cpu, [5f, 1f], 2);
        var b = Tensor.FromArray(GradCheck.Cpu, [2f, 4f], 2);
        Assert.That(Ops.Sub(a, b).ToArray(), Is.EqualTo(new[] { 3f, -3f }));
        Assert.Throws<ArgumentException>(() => Ops.Sub(a, Tensor.Zeros(GradCheck.Cpu, 3)));
    }

    [Test]
    public void ChainedGradient() => GradCheck.Check(x => Ops.Log(Ops.Scale(Ops.Exp(Ops.Sub(x[0], x[1])), 1f, 1f)),
        [GradCheck.Random(13, -1, 1, 6), GradCheck.Random(14, -1, 1, 6)]);
}
