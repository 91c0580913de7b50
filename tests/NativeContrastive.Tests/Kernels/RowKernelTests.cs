using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// softmax.cu and l2norm.cu (a warp per row) against double-precision C#, rows × cols around
/// the warp width and the 8-rows-per-block grid. Tolerances: atol 2e-6 + rtol 2e-5 (float
/// exp/log and reordered sums).
/// </summary>
public class RowKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static readonly int[][] Shapes = [[0, 3], [1, 1], [3, 31], [9, 33], [17, 100], [40, 7]];
    private const float Atol = 2e-6f, Rtol = 2e-5f;

    private static double[] LogSoftmaxRow(float[] x, int r, int cols)
    {
        double m = double.NegativeInfinity;
        for (int c = 0; c < cols; c++) m = Math.Max(m, x[r * cols + c]);
        double s = 0;
        for (int c = 0; c < cols; c++) s += Math.Exp(x[r * cols + c] - m);
        double lse = m + Math.Log(s);
        return Enumerable.Range(0, cols).Select(c => x[r * cols + c] - lse).ToArray();
    }

    [Test]
    public void LogSoftmaxForwardAndBackward([ValueSource(nameof(Shapes))] int[] shape)
    {
        int rows = shape[0], cols = shape[1], n = rows * cols;
        var k = new SoftmaxKernels(Driver);
        float[] x = Data(n, 7, -6, 6), dy = Data(n, 8);
        using var dxb = Up(x);
        using var y = Zeros(n);
        using var ddy = Up(dy);
        using var dx = Zeros(n);
        k.LogSoftmax(dxb, y, rows, cols);
        var yRef = Enumerable.Range(0, rows).SelectMany(r => LogSoftmaxRow(x, r, cols)).ToArray();
        Close.Assert(yRef.Select(v => (float)v).ToArray(), y.ToArray<float>(), Atol, Rtol, "log-softmax");
        k.LogSoftmaxBackward(y, ddy, dx, rows, cols);
        var dxRef = new float[n];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += dy[r * cols + c];
            for (int c = 0; c < cols; c++) dxRef[r * cols + c] = (float)(dy[r * cols + c] - Math.Exp(yRef[r * cols + c]) * s);
        }
        Close.Assert(dxRef, dx.ToArray<float>(), 1e-5f, Rtol, "log-softmax backward");
    }

    [Test]
    public void CrossEntropyForwardAndBackward([ValueSource(nameof(Shapes))] int[] shape)
    {
        int rows = shape[0], cols = shape[1], n = rows * cols;
        var k = new SoftmaxKernels(Driver);
        var x = Data(n, 9, -4, 4);
        var targets = Enumerable.Range(0, rows).Select(r => r % 5 == 3 ? -1 : (r * 7) % cols).ToArray();   // some ignored rows
        var dloss = Data(rows, 10, 0.1f, 1f);
        using var dx = Up(x);
        using var dt = Up(targets);
        using var loss = Zeros(rows);
        using var dl = Up(dloss);
        using var grad = Zeros(n);
        k.CrossEntropy(dx, dt, loss, rows, cols);
        k.CrossEntropyBackward(dx, dt, dl, grad, rows, cols);
        var lossRef = new float[rows];
        var gradRef = new float[n];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] < 0) continue;
            var lp = LogSoftmaxRow(x, r, cols);
            lossRef[r] = (float)-lp[targets[r]];
            for (int c = 0; c < cols; c++) gradRef[r * cols + c] = (float)(dloss[r] * (Math.Exp(lp[c]) - (c == targets[r] ? 1 : 0)));
        }
        Close.Assert(lossRef, loss.ToArray<float>(), Atol, Rtol, "cross-entropy");
        Close.Assert(gradRef, grad.ToArray<float>(), Atol, Rtol, "cross-entropy backward");
    }

    [Test]
    public void MaskDiagonal([ValueSource(nameof(Shapes))] int[] shape)
    {
        int rows = shape[0], cols = shape[1], n = rows * cols;
        var k = new SoftmaxKernels(Driver);
        var x = Data(n, 11);
        using var dx = Up(x);
        using var y = Zeros(n);
        k.MaskDiagonal(dx, y, rows, cols, float.NegativeInfinity);
        Close.Assert(x.Select((v, i) => i / cols == i % cols ? float.NegativeInfinity : v).ToArray(), y.ToArray<float>(), 0, 0, "mask");
        k.MaskDiagonalBackward(dx, y, rows, cols);
        Close.Assert(x.Select((v, i) => i / cols == i % cols ? 0f : v).ToArray(), y.ToArray<float>(), 0, 0, "mask backward");
    }

    [Test]
    public void L2NormalizeForwardAndBackward([ValueSource(nameof(Shapes))] int[] shape)
    {
        int rows = shape[0], cols = shape[1], n = rows * cols;
        var k = new L2NormKernels(Driver);
        var x = Data(n, 12);
        if (rows > 2) Array.Clear(x, 2 * cols, cols);   // a zero row: norm clamped to eps
        var dy = Data(n, 13);
        using var dxIn = Up(x);
        using var y = Zeros(n);
        using var norms = Zeros(rows);
        using var ddy = Up(dy);
        using var dx = Zeros(n);
        const float eps = 1e-6f;
        k.Normalize(dxIn, y, norms, rows, cols, eps);
        k.NormalizeBackward(y, norms, ddy, dx, rows, cols);
        var yRef = new float[n];
        var nRef = new float[rows];
        var dxRef = new float[n];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < cols; c++) ss += (double)x[r * cols + c] * x[r * cols + c];
            double nr = Math.Max(Math.Sqrt(ss), eps);
            nRef[r] = (float)nr;
            double d = 0;
            for (int c = 0; c < cols; c++) { yRef[r * cols + c] = (float)(x[r * cols + c] / nr); d += yRef[r * cols + c] * dy[r * cols + c]; }
            for (int c = 0; c < cols; c++) dxRef[r * cols + c] = (float)((dy[r * cols + c] - yRef[r * cols + c] * d) / nr);
        }
        Close.Assert(nRef, norms.ToArray<float>(), Atol, Rtol, "norms");
        Close.Assert(yRef, y.ToArray<float>(), Atol, Rtol, "l2-normalise");
        Close.Assert(dxRef, dx.ToArray<float>(), 1e-5f, 1e-4f, "l2-normalise backward");
    }
}
