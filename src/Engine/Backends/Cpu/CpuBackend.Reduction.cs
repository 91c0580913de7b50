using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Reductions: accumulated in double per SIMD chunk so large sums stay accurate.</summary>
public sealed partial class CpuBackend
{
    public void Sum(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(x.Length + 1));
        var X = Data(x);
        double total = 0;
        for (int s = 0; s < X.Length; s += 4096)
            total += TensorPrimitives.Sum(X.AsSpan(s, Math.Min(4096, X.Length - s)));
        Data(y)[0] = (float)total;
    }

    public void SumOfSquares(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(x.Length + 1));
        var X = Data(x);
        double total = 0;
        for (int s = 0; s < X.Length; s += 4096)
            total += TensorPrimitives.SumOfSquares(X.AsSpan(s, Math.Min(4096, X.Length - s)));
        Data(y)[0] = (float)total;
    }

    public void SumRows(Tensor x, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + rows));
        float[] X = Data(x), Y = Data(y);
        ParallelRows(rows, cols, r => Y[r] = TensorPrimitives.Sum(X.AsSpan(r * cols, cols)));
    }

    public void SumColumns(Tensor x, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + cols));
        float[] X = Data(x), Y = Data(y);
        // Row-by-row accumulation keeps the inner loop contiguous (SIMD over columns).
        Array.Clear(Y, 0, cols);
        var acc = Y.AsSpan(0, cols);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(acc, X.AsSpan(r * cols, cols), acc);
    }

    public void AddRowVector(Tensor x, Tensor v, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols + cols));
        float[] X = Data(x), V = Data(v), Y = Data(y);
        ParallelRows(rows, cols, r => TensorPrimitives.Add(X.AsSpan(r * cols, cols), V.AsSpan(0, cols), Y.AsSpan(r * cols, cols)));
    }

    public void BroadcastColumn(Tensor v, float alpha, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + rows));
        float[] V = Data(v), Y = Data(y);
        ParallelRows(rows, cols, r => Y.AsSpan(r * cols, cols).Fill(alpha * V[r]));
    }

    public void BroadcastRow(Tensor v, float alpha, int rows, int cols, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + cols));
        float[] V = Data(v), Y = Data(y);
        ParallelRows(rows, cols, r => TensorPrimitives.Multiply(V.AsSpan(0, cols), alpha, Y.AsSpan(r * cols, cols)));
    }

    /// <summary>Runs <paramref name="row"/> for each row, in parallel when the matrix is large.</summary>
    internal static void ParallelRows(int rows, int cols, Action<int> row)
    {
        if ((long)rows * cols < ParallelThreshold || rows == 1)
        {
            for (int r = 0; r < rows; r++) row(r);
            return;
        }
        Parallel.For(0, rows, row);
    }
}
