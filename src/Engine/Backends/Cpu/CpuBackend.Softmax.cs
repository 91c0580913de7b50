using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Row-wise softmax family. Each row is an independent SIMD pass (TensorPrimitives);
/// large matrices split rows across cores. Inputs and outputs must not alias unless a
/// method says so.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>
    /// y = x − m − log Σ exp(x − m), m = max x (per row). Subtracting m first keeps every
    /// exponent ≤ 0, so nothing overflows and at least one term is exactly 1; keeping
    /// (x − m) and log Σ as separate subtractions preserves the precision of entries near
    /// the maximum even when |m| is large.
    /// </summary>
    public void LogSoftmaxRows(Tensor x, Tensor y, int rows, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols));
        if (cols == 0) return;
        float[] X = Data(x), Y = Data(y);
        ParallelRows(rows, cols, r =>
        {
            var xr = X.AsSpan(r * cols, cols);
            var yr = Y.AsSpan(r * cols, cols);
            float max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            float logSum = MathF.Log(TensorPrimitives.Sum(yr));
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Subtract(yr, logSum, yr);
        });
    }

    /// <summary>dx = dy − softmax · Σ dy per row, with softmax = exp(y) recovered from the output.</summary>
    public void LogSoftmaxRowsBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3L * rows * cols));
        if (cols == 0) return;
        float[] Yv = Data(y), DY = Data(dy), DX = Data(dx);
        ParallelRows(rows, cols, r =>
        {
            var dyr = DY.AsSpan(r * cols, cols);
            var dxr = DX.AsSpan(r * cols, cols);
            float sum = TensorPrimitives.Sum(dyr);
            TensorPrimitives.Exp(Yv.AsSpan(r * cols, cols), dxr);
            TensorPrimitives.MultiplyAdd(dxr, -sum, dyr, dxr);
        });
    }

    public void PickPerRow(Tensor x, IntTensor index, Tensor y, int rows, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3L * rows));
        float[] X = Data(x), Y = Data(y);
        int[] I = Data(index);
        RequireIndicesInRange("PickPerRow", I, rows, cols);
        for (int r = 0; r < rows; r++) Y[r] = X[(long)r * cols + I[r]];
    }

    public void PickPerRowBackward(Tensor dy, IntTensor index, Tensor dx, int rows, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + 2L * rows));
        float[] DY = Data(dy), DX = Data(dx);
        int[] I = Data(index);
        RequireIndicesInRange("PickPerRowBackward", I, rows, cols);
        Array.Clear(DX, 0, rows * cols);
        for (int r = 0; r < rows; r++) DX[(long)r * cols + I[r]] = DY[r];
    }

    /// <summary>Copies x to y (skipped when they are the same tensor) and overwrites the main diagonal.</summary>
    public void FillDiagonal(Tensor x, float value, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols));
        float[] X = Data(x), Y = Data(y);
        if (!ReferenceEquals(X, Y)) Chunked((long)rows * cols, (s, n) => X.AsSpan(s, n).CopyTo(Y.AsSpan(s, n)));
        int diagonal = Math.Min(rows, cols);
        for (int r = 0; r < diagonal; r++) Y[(long)r * cols + r] = value;
    }

    /// <summary>
    /// Every index must address a row (or column) that exists: a bad class label or bank
    /// index would otherwise read or write a neighbouring row silently. Checked before
    /// any parallel work so the exception is this one, not an AggregateException.
    /// </summary>
    private static void RequireIndicesInRange(string primitive, int[] index, int count, int limit)
    {
        for (int i = 0; i < count; i++)
            if ((uint)index[i] >= (uint)limit)
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"{primitive}: index[{i}] = {index[i]} is outside [0, {limit}).");
    }
}
