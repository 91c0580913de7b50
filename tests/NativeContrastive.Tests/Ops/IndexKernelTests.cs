using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// The cpu index-family primitives against plain loops: duplicate indices, one-column
/// rows, odd widths, and sizes that take the parallel (grouped-by-destination) path.
/// </summary>
public class IndexKernelTests
{
    private static IBackend B => GradCheck.Cpu;

    private static int[] RandomIndices(int seed, int count, int range)
    {
        var rng = new Random(seed);
        var idx = new int[count];
        for (int i = 0; i < count; i++) idx[i] = rng.Next(range);
        return idx;
    }

    // (rows of the table, rows indexed, columns): tiny, odd, one column, and > 2^15 elements.
    private static readonly int[][] Sizes = [[1, 1, 1], [5, 9, 1], [7, 13, 3], [4, 6, 17], [17, 300, 130], [1000, 4000, 33]];

    [TestCaseSource(nameof(Sizes))]
    public void GatherRowsMatchesLoop(int n, int m, int cols)
    {
        var x = GradCheck.Random(n, -1, 1, n, cols);
        var idx = RandomIndices(m, m, n);
        var y = Tensor.Empty(B, m, cols);
        B.GatherRows(x, IntTensor.FromArray(B, idx), y, cols);
        float[] xa = x.ToArray(), ya = y.ToArray();
        for (int i = 0; i < m; i++)
            for (int c = 0; c < cols; c++)
                Assert.That(ya[i * cols + c], Is.EqualTo(xa[idx[i] * cols + c]));
    }

    [TestCaseSource(nameof(Sizes))]
    public void ScatterAddRowsAccumulatesDuplicatesExactlyAsTheSequentialLoop(int n, int m, int cols)
    {
        var x = GradCheck.Random(m + 1, -1, 1, m, cols);
        var y = GradCheck.Random(n + 2, -1, 1, n, cols);
        var idx = RandomIndices(m * 7, m, n);   // m > n for most sizes: many duplicates
        var expected = y.ToArray();
        var xa = x.ToArray();
        for (int i = 0; i < m; i++)
            for (int c = 0; c < cols; c++) expected[idx[i] * cols + c] += xa[i * cols + c];
        B.ScatterAddRows(x, IntTensor.FromArray(B, idx), y, cols);
        // Same per-row summation order as the loop, so equal to the bit even on the parallel path.
        Assert.That(y.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void ScatterAddRowsAllToOneRow()
    {
        const int m = 5000, cols = 8;
        var x = Tensor.Full(B, 1f, m, cols);
        var y = Tensor.Zeros(B, 3, cols);
        B.ScatterAddRows(x, IntTensor.FromArray(B, new int[m].Select(_ => 1).ToArray()), y, cols);
        var ya = y.ToArray();
        for (int c = 0; c < cols; c++)
        {
            Assert.That(ya[c], Is.EqualTo(0f));
            Assert.That(ya[cols + c], Is.EqualTo((float)m));
            Assert.That(ya[2 * cols + c], Is.EqualTo(0f));
        }
    }

    [TestCase(6, 4, 5)]
    [TestCase(3, 9, 1)]
    [TestCase(50, 2000, 20)]
    public void MomentumUpdateRowsFollowsNpidWithLastWriteWinning(int n, int m, int cols)
    {
        const float momentum = 0.5f;
        var bank = GradCheck.Random(n, -1, 1, n, cols);
        var f = GradCheck.Random(m, -1, 1, m, cols);
        var idx = RandomIndices(n + m, m, n);
        float[] old = bank.ToArray(), fa = f.ToArray();

        // Reference: every i reads the bank as it was; writes in order, so the last i of a row wins.
        var expected = (float[])old.Clone();
        for (int i = 0; i < m; i++)
        {
            var v = new double[cols];
            double norm = 0;
            for (int c = 0; c < cols; c++)
            {
                v[c] = momentum * old[idx[i] * cols + c] + (1 - momentum) * fa[i * cols + c];
                norm += v[c] * v[c];
            }
            norm = Math.Sqrt(norm);
            for (int c = 0; c < cols; c++) expected[idx[i] * cols + c] = (float)(v[c] / norm);
        }

        B.MomentumUpdateRows(bank, IntTensor.FromArray(B, idx), f, momentum, cols);
        Assert.That(bank.ToArray(), Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void MomentumUpdateRowsLeavesUnindexedRowsAndNormalisesUpdatedOnes()
    {
        var bank = Tensor.FromArray(B, [3f, 4f, 1f, 1f], 2, 2);
        B.MomentumUpdateRows(bank, IntTensor.FromArray(B, new[] { 0 }), Tensor.FromArray(B, [3f, 4f], 1, 2), 0.9f, 2);
        Assert.That(bank.ToArray(), Is.EqualTo(new[] { 0.6f, 0.8f, 1f, 1f }).Within(1e-6f));
    }

    [Test]
    public void OutOfRangeIndicesAreRejected()
    {
        var x = GradCheck.Random(1, -1, 1, 3, 2);
        var bad = IntTensor.FromArray(B, new[] { 0, 3 });
        Assert.Throws<ArgumentOutOfRangeException>(() => B.GatherRows(x, bad, Tensor.Empty(B, 2, 2), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => B.ScatterAddRows(Tensor.Empty(B, 2, 2), bad, x, 2));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => B.MomentumUpdateRows(x, IntTensor.FromArray(B, new[] { -1 }), Tensor.Empty(B, 1, 2), 0.5f, 2));
        Assert.That(ex!.Message, Does.Contain("index[0] = -1"));
    }
}
