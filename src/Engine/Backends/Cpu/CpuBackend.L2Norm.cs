using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Row L2 normalisation, one task per row.</summary>
public sealed partial class CpuBackend
{
    public void L2NormalizeRows(Tensor x, Tensor y, Tensor norms, int rows, int cols, float eps)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols + rows));
        float[] X = Data(x), Y = Data(y), N = Data(norms);
        ParallelRows(rows, cols, r =>
        {
            var row = X.AsSpan(r * cols, cols);
            float norm = MathF.Max(TensorPrimitives.Norm(row), eps);
            N[r] = norm;
            TensorPrimitives.Multiply(row, 1f / norm, Y.AsSpan(r * cols, cols));
        });
    }

    public void L2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, int rows, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3L * rows * cols + rows));
        float[] Yv = Data(y), N = Data(norms), DY = Data(dy), DX = Data(dx);
        ParallelRows(rows, cols, r =>
        {
            var yr = Yv.AsSpan(r * cols, cols);
            var dyr = DY.AsSpan(r * cols, cols);
            var dxr = DX.AsSpan(r * cols, cols);
            float dot = TensorPrimitives.Dot(dyr, yr);
            float inv = 1f / N[r];
            // dx = (dy − y·⟨dy, y⟩) / norm
            TensorPrimitives.MultiplyAdd(yr, -dot, dyr, dxr);
            TensorPrimitives.Multiply(dxr, inv, dxr);
        });
    }
}
