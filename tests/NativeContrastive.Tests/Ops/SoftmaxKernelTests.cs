using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// The cpu softmax-family primitives against plain double loops over awkward sizes: one
/// column, odd widths, widths around SIMD multiples, and a matrix large enough to take
/// the parallel path.
/// </summary>
public class SoftmaxKernelTests
{
    private static IBackend B => GradCheck.Cpu;

    private static readonly int[][] Sizes =
        [[1, 1], [3, 1], [1, 7], [2, 8], [3, 15], [2, 16], [5, 17], [1, 33], [4, 65], [3, 257], [200, 300]];

    [TestCaseSource(nameof(Sizes))]
    public void LogSoftmaxRowsMatchesLoop(int rows, int cols)
    {
        var x = GradCheck.Random(rows * 1000 + cols, -20f, 20f, rows, cols);
        var y = x.EmptyLike();
        B.LogSoftmaxRows(x, y, rows, cols);
        float[] xa = x.ToArray(), ya = y.ToArray();
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.Max(max, xa[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += Math.Exp(xa[r * cols + c] - max);
            for (int c = 0; c < cols; c++)
            {
                double expected = xa[r * cols + c] - max - Math.Log(sum);
                Assert.That(ya[r * cols + c], Is.EqualTo(expected).Within(1e-5 + 1e-6 * Math.Abs(expected)), $"row {r} col {c}");
            }
        }
    }

    [Test]
    public void LogSoftmaxRowsIsStableForHugeLogits()
    {
        // exp(1e4) overflows float; the max-subtracted form must not care.
        var x = Tensor.FromArray(B, [1e4f, 1e4f - 1f, -1e4f, 3e4f, 3e4f, 3e4f], 2, 3);
        var y = x.EmptyLike();
        B.LogSoftmaxRows(x, y, 2, 3);
        var ya = y.ToArray();
        double lse0 = Math.Log(1 + Math.Exp(-1));
        Assert.That(ya[0], Is.EqualTo(-lse0).Within(1e-6));
        Assert.That(ya[1], Is.EqualTo(-1 - lse0).Within(1e-6));
        Assert.That(ya[2], Is.EqualTo(-2e4 - lse0).Within(1e-2));
        for (int c = 3; c < 6; c++) Assert.That(ya[c], Is.EqualTo(-Math.Log(3)).Within(1e-6));
    }

    [TestCaseSource(nameof(Sizes))]
    public void LogSoftmaxRowsBackwardMatchesLoop(int rows, int cols)
    {
        var x = GradCheck.Random(rows + cols, -3f, 3f, rows, cols);
        var dy = GradCheck.Random(rows * cols + 1, -1f, 1f, rows, cols);
        var y = x.EmptyLike();
        var dx = x.EmptyLike();
        B.LogSoftmaxRows(x, y, rows, cols);
        B.LogSoftmaxRowsBackward(y, dy, dx, rows, cols);
        float[] ya = y.ToArray(), dya = dy.ToArray(), dxa = dx.ToArray();
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += dya[r * cols + c];
            for (int c = 0; c < cols; c++)
            {
                double expected = dya[r * cols + c] - Math.Exp(ya[r * cols + c]) * sum;
                Assert.That(dxa[r * cols + c], Is.EqualTo(expected).Within(1e-5), $"row {r} col {c}");
            }
        }
    }

    [Test]
    public void PickPerRowAndBackward()
    {
        var x = GradCheck.Random(1, -1, 1, 3, 5);
        var idx = IntTensor.FromArray(B, new[] { 4, 0, 2 });
        var y = Tensor.Empty(B, 3);
        B.PickPerRow(x, idx, y, 3, 5);
        var xa = x.ToArray();
        Assert.That(y.ToArray(), Is.EqualTo(new[] { xa[4], xa[5], xa[12] }));

        var dx = Tensor.Full(B, 9f, 3, 5);   // stale contents must be cleared
        B.PickPerRowBackward(Tensor.FromArray(B, [1f, 2f, 3f], 3), idx, dx, 3, 5);
        var expected = new float[15];
        expected[4] = 1f; expected[5] = 2f; expected[12] = 3f;
        Assert.That(dx.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void PickPerRowRejectsOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => B.PickPerRow(GradCheck.Random(2, -1, 1, 2, 3), IntTensor.FromArray(B, new[] { 0, 3 }), Tensor.Empty(B, 2), 2, 3));

    [TestCase(1, 1)]
    [TestCase(3, 3)]
    [TestCase(2, 5)]
    [TestCase(200, 300)]
    public void FillDiagonalCopiesAndMasks(int rows, int cols)
    {
        var x = GradCheck.Random(rows, -1, 1, rows, cols);
        var y = x.EmptyLike();
        B.FillDiagonal(x, -5f, rows, cols, y);
        float[] xa = x.ToArray(), ya = y.ToArray();
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            Assert.That(ya[r * cols + c], Is.EqualTo(r == c ? -5f : xa[r * cols + c]));

        B.FillDiagonal(x, 0f, rows, cols, x);   // in place
        Assert.That(x.ToArray()[0], Is.EqualTo(0f));
    }
}
