using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>GatherRows and ScatterAddRows ops: forward against loops and gradients, repeated indices included.</summary>
public class IndexOpTests
{
    [Test]
    public void GatherRowsForwardWithRepeats()
    {
        var x = GradCheck.Random(1, -1, 1, 4, 3);
        int[] idx = [2, 0, 2, 3, 2];
        var y = Ops.GatherRows(x, IntTensor.FromArray(GradCheck.Cpu, idx));
        Assert.That(y.Shape, Is.EqualTo(new[] { 5, 3 }));
        float[] xa = x.ToArray(), ya = y.ToArray();
        for (int i = 0; i < idx.Length; i++)
            for (int c = 0; c < 3; c++)
                Assert.That(ya[i * 3 + c], Is.EqualTo(xa[idx[i] * 3 + c]));
    }

    [Test]
    public void GatherRowsGradientSumsRepeats()
    {
        var idx = IntTensor.FromArray(GradCheck.Cpu, new[] { 2, 0, 2, 3, 2 });
        GradCheck.Check(x => Ops.GatherRows(x[0], idx), [GradCheck.Random(2, -1, 1, 4, 3)]);
    }

    [Test]
    public void GatherRowsOfHigherRankKeepsRowShape()
    {
        var idx = IntTensor.FromArray(GradCheck.Cpu, new[] { 1, 1 });
        Assert.That(Ops.GatherRows(GradCheck.Random(3, -1, 1, 3, 2, 2), idx).Shape, Is.EqualTo(new[] { 2, 2, 2 }));
        GradCheck.Check(x => Ops.GatherRows(x[0], idx), [GradCheck.Random(4, -1, 1, 3, 2, 2)]);
    }

    [Test]
    public void ScatterAddRowsForwardWithRepeatsLeavesDestinationIntact()
    {
        var dest = GradCheck.Random(5, -1, 1, 3, 2);
        var src = GradCheck.Random(6, -1, 1, 4, 2);
        int[] idx = [1, 1, 0, 1];
        var before = dest.ToArray();
        var y = Ops.ScatterAddRows(dest, src, IntTensor.FromArray(GradCheck.Cpu, idx)).ToArray();
        var expected = (float[])before.Clone();
        var sa = src.ToArray();
        for (int i = 0; i < idx.Length; i++)
            for (int c = 0; c < 2; c++) expected[idx[i] * 2 + c] += sa[i * 2 + c];
        Assert.That(y, Is.EqualTo(expected).Within(1e-6f));
        Assert.That(dest.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void ScatterAddRowsGradientReachesBoth()
    {
        var idx = IntTensor.FromArray(GradCheck.Cpu, new[] { 1, 1, 0, 1 });
        GradCheck.Check(x => Ops.ScatterAddRows(x[0], x[1], idx),
            [GradCheck.Random(7, -1, 1, 3, 2), GradCheck.Random(8, -1, 1, 4, 2)]);
    }

    [Test]
    public void ShapeMismatchesAreRejected()
    {
        var x = GradCheck.Random(9, -1, 1, 3, 2);
        Assert.Throws<ArgumentException>(() => Ops.ScatterAddRows(x, GradCheck.Random(10, -1, 1, 2, 3), IntTensor.FromArray(GradCheck.Cpu, new[] { 0, 1 })));
        Assert.Throws<ArgumentException>(() => Ops.ScatterAddRows(x, GradCheck.Random(11, -1, 1, 2, 2), IntTensor.FromArray(GradCheck.Cpu, new[] { 0 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.GatherRows(x, IntTensor.FromArray(GradCheck.Cpu, new[] { 3 })));
    }
}
