using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>Reshape, Flatten, Concat, Slice, Detach: forward layout against index arithmetic, and gradients.</summary>
public class ShapeOpTests
{
    private static Tensor Iota(params int[] shape)
    {
        var a = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < a.Length; i++) a[i] = i;
        return Tensor.FromArray(GradCheck.Cpu, a, shape);
    }

    [Test]
    public void ReshapeSharesStorageAndResolvesMinusOne()
    {
        var x = Iota(2, 3, 4);
        var y = Ops.Reshape(x, 4, -1);
        Assert.That(y.Shape, Is.EqualTo(new[] { 4, 6 }));
        Assert.That(y.Storage, Is.SameAs(x.Storage));
        Assert.Throws<ArgumentException>(() => Ops.Reshape(x, 5, -1));
    }

    [Test]
    public void ReshapeGradient() => GradCheck.Check(x => Ops.Mul(Ops.Reshape(x[0], 3, 4), Ops.Reshape(x[0], 3, 4)),
        [GradCheck.Random(1, -1, 1, 2, 6)]);

    [Test]
    public void FlattenKeepsBatch()
    {
        Assert.That(Ops.Flatten(Iota(2, 3, 4, 5)).Shape, Is.EqualTo(new[] { 2, 60 }));
        Assert.That(Ops.Flatten(Iota(3)).Shape, Is.EqualTo(new[] { 3, 1 }));
        Assert.That(Ops.Flatten(Iota(0, 4)).Shape, Is.EqualTo(new[] { 0, 4 }));
    }

    [Test]
    public void FlattenGradient() => GradCheck.Check(x => Ops.Flatten(x[0]), [GradCheck.Random(2, -1, 1, 2, 2, 3)]);

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-1)]
    public void ConcatMatchesIndexArithmetic(int dim)
    {
        // Parts of a rank-3 tensor differing only along dim (sizes 1, 2 and 3).
        int d = dim < 0 ? dim + 3 : dim;
        int[] baseShape = [2, 3, 4];
        var parts = new Tensor[3];
        for (int p = 0; p < 3; p++)
        {
            var s = (int[])baseShape.Clone();
            s[d] = p + 1;
            parts[p] = GradCheck.Random(10 + p, -1, 1, s);
        }
        var y = Ops.Concat(dim, parts);
        var expectedShape = (int[])baseShape.Clone();
        expectedShape[d] = 6;
        Assert.That(y.Shape, Is.EqualTo(expectedShape));

        var ya = y.ToArray();
        int offset = 0;
        foreach (var part in parts)
        {
            var pa = part.ToArray();
            var ps = part.Shape;
            for (int i = 0; i < ps[0]; i++)
            for (int j = 0; j < ps[1]; j++)
            for (int k = 0; k < ps[2]; k++)
            {
                int[] at = [i, j, k];
                at[d] += offset;
                float got = ya[(at[0] * expectedShape[1] + at[1]) * expectedShape[2] + at[2]];
                Assert.That(got, Is.EqualTo(pa[(i * ps[1] + j) * ps[2] + k]));
            }
            offset += ps[d];
        }
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void ConcatGradient(int dim) => GradCheck.Check(x => Ops.Concat(dim, x[0], x[1]),
        [GradCheck.Random(20, -1, 1, 2, 2, 3), GradCheck.Random(21, -1, 1, 2, 2, 3)]);

    [Test]
    public void ConcatOfOneTensorTwiceAccumulates() => GradCheck.Check(x => Ops.Concat(0, x[0], x[0]),
        [GradCheck.Random(22, -1, 1, 3, 2)]);

    [Test]
    public void ConcatRejectsMismatchedShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Concat(1, Iota(2, 3), Iota(3, 3)));
        Assert.That(ex!.Message, Does.Contain("[2,3]").And.Contain("[3,3]"));
    }

    [Test]
    public void SliceMatchesIndexArithmetic()
    {
        var x = Iota(3, 5, 2);
        var y = Ops.Slice(x, 1, 1, 3);
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, 3, 2 }));
        var ya = y.ToArray();
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        for (int k = 0; k < 2; k++)
            Assert.That(ya[(i * 3 + j) * 2 + k], Is.EqualTo((float)((i * 5 + j + 1) * 2 + k)));
    }

    [TestCase(0, 1, 1)]
    [TestCase(1, 2, 2)]
    [TestCase(-1, 0, 3)]
    public void SliceGradient(int dim, int start, int length) => GradCheck.Check(x => Ops.Slice(x[0], dim, start, length),
        [GradCheck.Random(30, -1, 1, 2, 4, 3)]);

    [Test]
    public void SliceOutOfRangeIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(Iota(2, 4), 1, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Slice(Iota(2, 4), 2, 0, 1));
    }

    [Test]
    public void DetachStopsTheGradient()
    {
        using var scope = TensorScope.Begin();
        var x = GradCheck.Random(40, -1, 1, 5);
        x.RequiresGrad = true;
        var frozen = Ops.Detach(x);
        Assert.That(frozen.RequiresGrad, Is.False);
        Assert.That(frozen.ToArray(), Is.EqualTo(x.ToArray()));
        // L = Σ x ⊙ detach(x): ∂L/∂x = x, not the 2x that flows without the detach.
        Tape.Backward(Ops.Sum(Ops.Mul(x, frozen)));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(x.ToArray()));
    }
}
