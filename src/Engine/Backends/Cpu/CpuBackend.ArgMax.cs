using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Per-row arg-max / arg-min: one scan per row (rows in parallel when large); the reference of argmax.cu.</summary>
public sealed partial class CpuBackend
{
    public void ArgMaxRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + 2L * rows));
        ArgRows(x, rows, cols, values, indices, max: true);
    }

    public void ArgMinRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + 2L * rows));
        ArgRows(x, rows, cols, values, indices, max: false);
    }

    private void ArgRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices, bool max)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"ArgMaxRows: rows must be ≥ 0, got {rows}.");
        if (cols < 1) throw new ArgumentOutOfRangeException(nameof(cols), $"ArgMaxRows: needs at least one column, got {cols}.");
        float[] X = Data(x), V = Data(values);
        int[] I = Data(indices);
        if (X.Length < (long)rows * cols || V.Length < rows || I.Length < rows)
            throw new ArgumentException($"ArgMaxRows: [{rows}, {cols}] needs {(long)rows * cols} inputs and {rows} outputs, got {X.Length}, {V.Length} and {I.Length}.");
        void Row(int r)
        {
            var row = X.AsSpan(r * cols, cols);
            int at = 0;
            float best = row[0];
            for (int c = 1; c < cols; c++)
            {
                float v = row[c];
                // A later column wins only by a strictly better number; NaN never wins over a number.
                if (float.IsNaN(v)) continue;
                if (float.IsNaN(best) || (max ? v > best : v < best)) { best = v; at = c; }
            }
            V[r] = best;
            I[r] = at;
        }
        if ((long)rows * cols < ParallelThreshold) for (int r = 0; r < rows; r++) Row(r);
        else Parallel.For(0, rows, Row);
    }
}
