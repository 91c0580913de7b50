using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Pooling, one task per (image, channel) plane.</summary>
public sealed partial class CpuBackend
{
    public void MaxPool2dForward(Tensor x, Tensor y, IntTensor argmax, Pool2dGeometry g)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)g.N * g.C * g.H * g.W + 2L * g.N * g.C * g.P * g.Q));
        float[] X = Data(x), Y = Data(y);
        int[] AM = Data(argmax);
        int P = g.P, Q = g.Q, HW = g.H * g.W, PQ = P * Q;
        ParallelRows(g.N * g.C, HW, plane =>
        {
            int xs = plane * HW, ys = plane * PQ;
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++)
                {
                    // Padding is −∞: only in-image pixels compete; the first maximum wins ties.
                    float best = float.NegativeInfinity;
                    int arg = -1;
                    int h0 = p * g.Stride - g.Pad, w0 = q * g.Stride - g.Pad;
                    for (int h = Math.Max(h0, 0); h < Math.Min(h0 + g.Kernel, g.H); h++)
                        for (int w = Math.Max(w0, 0); w < Math.Min(w0 + g.Kernel, g.W); w++)
                        {
                            float v = X[xs + h * g.W + w];
                            if (v > best || arg < 0) { best = v; arg = h * g.W + w; }
                        }
                    Y[ys + p * Q + q] = best;
                    AM[ys + p * Q + q] = arg;
                }
        });
    }

    public void MaxPool2dBackward(Tensor dy, IntTensor argmax, Tensor dx, Pool2dGeometry g)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * g.N * g.C * g.H * g.W + 2L * g.N * g.C * g.P * g.Q));
        float[] DY = Data(dy), DX = Data(dx);
        int[] AM = Data(argmax);
        int HW = g.H * g.W, PQ = g.P * g.Q;
        ParallelRows(g.N * g.C, HW, plane =>
        {
            int xs = plane * HW, ys = plane * PQ;
            DX.AsSpan(xs, HW).Clear();
            for (int i = 0; i < PQ; i++)
                if (AM[ys + i] >= 0) DX[xs + AM[ys + i]] += DY[ys + i];
        });
    }

    public void GlobalAvgPoolForward(Tensor x, Tensor y, int n, int c, int hw)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)n * c * hw + (long)n * c));
        float[] X = Data(x), Y = Data(y);
        float inv = hw == 0 ? 0f : 1f / hw;
        ParallelRows(n * c, hw, plane => Y[plane] = TensorPrimitives.Sum(X.AsSpan(plane * hw, hw)) * inv);
    }

    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, int n, int c, int hw)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)n * c * hw + (long)n * c));
        float[] DY = Data(dy), DX = Data(dx);
        float inv = hw == 0 ? 0f : 1f / hw;
        ParallelRows(n * c, hw, plane => DX.AsSpan(plane * hw, hw).Fill(DY[plane] * inv));
    }
}
