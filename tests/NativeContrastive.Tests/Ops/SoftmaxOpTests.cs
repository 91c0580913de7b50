using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>LogSoftmax, CrossEntropy, SoftCrossEntropy and MaskDiagonal: values against double loops, and gradients.</summary>
public class SoftmaxOpTests
{
    private static double[] LogSoftmaxRow(float[] x, int row, int cols)
    {
        double max = double.NegativeInfinity;
        for (int c = 0; c < cols; c++) max = Math.Max(max, x[row * cols + c]);
        double sum = 0;
        for (int c = 0; c < cols; c++) sum += Math.Exp(x[row * cols + c] - max);
        var y = new double[cols];
        for (int c = 0; c < cols; c++) y[c] = x[row * cols + c] - max - Math.Log(sum);
        return y;
    }

    [Test]
    public void LogSoftmaxGradient() => GradCheck.Check(x => Ops.LogSoftmax(x[0]), [GradCheck.Random(1, -2, 2, 3, 5)]);

    [Test]
    public void LogSoftmaxRejectsNonMatrix() => Assert.Throws<ArgumentException>(() => Ops.LogSoftmax(GradCheck.Random(2, -1, 1, 2, 3, 4)));

    [Test]
    public void CrossEntropyValue()
    {
        var logits = GradCheck.Random(3, -3, 3, 4, 6);
        int[] t = [0, 5, 2, 2];
        float loss = Ops.CrossEntropy(logits, IntTensor.FromArray(GradCheck.Cpu, t)).Item();
        var x = logits.ToArray();
        double expected = 0;
        for (int r = 0; r < 4; r++) expected -= LogSoftmaxRow(x, r, 6)[t[r]];
        Assert.That(loss, Is.EqualTo(expected / 4).Within(1e-5));
    }

    [Test]
    public void CrossEntropyGradient()
    {
        var targets = IntTensor.FromArray(GradCheck.Cpu, new[] { 1, 0, 3 });
        GradCheck.Check(x => Ops.CrossEntropy(x[0], targets), [GradCheck.Random(4, -2, 2, 3, 4)]);
    }

    [Test]
    public void CrossEntropyOutOfRangeTargetNamesTheProblem()
    {
        var logits = GradCheck.Random(5, -1, 1, 2, 5);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(logits, IntTensor.FromArray(GradCheck.Cpu, new[] { 1, 5 })));
        Assert.That(ex!.Message, Does.Contain("CrossEntropy").And.Contain("[0, 5)").And.Contain("index[1] = 5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(logits, IntTensor.FromArray(GradCheck.Cpu, new[] { -1, 0 })));
        Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(logits, IntTensor.FromArray(GradCheck.Cpu, new[] { 1, 2, 3 })));
    }

    private static Tensor RowProbabilities(int seed, int rows, int cols)
    {
        var p = GradCheck.Random(seed, 0.1f, 1f, rows, cols).ToArray();
        for (int r = 0; r < rows; r++)
        {
            float s = 0;
            for (int c = 0; c < cols; c++) s += p[r * cols + c];
            for (int c = 0; c < cols; c++) p[r * cols + c] /= s;
        }
        return Tensor.FromArray(GradCheck.Cpu, p, rows, cols);
    }

    [Test]
    public void SoftCrossEntropyValue()
    {
        var logits = GradCheck.Random(6, -3, 3, 3, 7);
        var p = RowProbabilities(7, 3, 7);
        float loss = Ops.SoftCrossEntropy(logits, p).Item();
        float[] x = logits.ToArray(), pa = p.ToArray();
        double expected = 0;
        for (int r = 0; r < 3; r++)
        {
            var logp = LogSoftmaxRow(x, r, 7);
            for (int c = 0; c < 7; c++) expected -= pa[r * 7 + c] * logp[c];
        }
        Assert.That(loss, Is.EqualTo(expected / 3).Within(1e-5));
    }

    [Test]
    public void SoftCrossEntropyWithOneHotEqualsCrossEntropy()
    {
        var logits = GradCheck.Random(8, -2, 2, 2, 3);
        var oneHot = Tensor.FromArray(GradCheck.Cpu, [0f, 0f, 1f, 1f, 0f, 0f], 2, 3);
        float soft = Ops.SoftCrossEntropy(logits, oneHot).Item();
        float hard = Ops.CrossEntropy(logits, IntTensor.FromArray(GradCheck.Cpu, new[] { 2, 0 })).Item();
        Assert.That(soft, Is.EqualTo(hard).Within(1e-6));
    }

    [Test]
    public void SoftCrossEntropyGradient()
    {
        var p = RowProbabilities(9, 3, 4);
        GradCheck.Check(x => Ops.SoftCrossEntropy(x[0], p), [GradCheck.Random(10, -2, 2, 3, 4)]);
    }

    [Test]
    public void SoftCrossEntropyGivesProbabilitiesNoGradient()
    {
        using var scope = TensorScope.Begin();
        var logits = GradCheck.Random(11, -1, 1, 2, 3);
        var p = RowProbabilities(12, 2, 3);
        logits.RequiresGrad = true;
        p.RequiresGrad = true;
        Tape.Backward(Ops.SoftCrossEntropy(logits, p));
        Assert.That(logits.Grad, Is.Not.Null);
        Assert.That(p.Grad, Is.Null);
    }

    [Test]
    public void MaskDiagonalForwardAndGradient()
    {
        var x = GradCheck.Random(13, -1, 1, 3, 4);
        var y = Ops.MaskDiagonal(x, -7f).ToArray();
        var xa = x.ToArray();
        for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            Assert.That(y[r * 4 + c], Is.EqualTo(r == c ? -7f : xa[r * 4 + c]));
        GradCheck.Check(t => Ops.MaskDiagonal(t[0], -7f), [GradCheck.Random(14, -1, 1, 3, 4)]);
        Assert.Throws<ArgumentException>(() => Ops.MaskDiagonal(GradCheck.Random(15, -1, 1, 4, 3), 0f));
    }

    [Test]
    public void MaskedLogSoftmaxStaysFiniteAndIgnoresTheDiagonal()
    {
        // A −1e9 diagonal must vanish from each row's normaliser and keep gradients finite.
        var x = GradCheck.Random(16, -1, 1, 3, 3);
        var logp = Ops.LogSoftmax(Ops.MaskDiagonal(Ops.Scale(x, 10f), -1e9f)).ToArray();
        var xa = x.ToArray();
        for (int r = 0; r < 3; r++)
        {
            double sum = 0;
            for (int c = 0; c < 3; c++) if (c != r) sum += Math.Exp(10.0 * xa[r * 3 + c]);
            for (int c = 0; c < 3; c++)
            {
                Assert.That(float.IsFinite(logp[r * 3 + c]), Is.True);
                if (c != r) Assert.That(logp[r * 3 + c], Is.EqualTo(10.0 * xa[r * 3 + c] - Math.Log(sum)).Within(1e-5));
            }
        }
        // The diagonal outputs (≈ −1e9, where a float ulp is 64) carry no information; zero them
        // so the finite differences see only the entries a loss would use.
        GradCheck.Check(t => Ops.MaskDiagonal(Ops.LogSoftmax(Ops.MaskDiagonal(t[0], -1e9f)), 0f), [GradCheck.Random(17, -1, 1, 3, 4)]);
    }
}
