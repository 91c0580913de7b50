using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Geometry of a 2-D max-pool over [N,C,H,W] → [N,C,P,Q]; padding counts as −∞.</summary>
public readonly record struct Pool2dGeometry(int N, int C, int H, int W, int Kernel, int Stride, int Pad)
{
    public int P => (H + 2 * Pad - Kernel) / Stride + 1;
    public int Q => (W + 2 * Pad - Kernel) / Stride + 1;
}

/// <summary>Pooling (kernels-cu/pool.cu).</summary>
public partial interface IBackend
{
    /// <summary>y ← window max; argmax[i] ← flat index into x (within the image plane h·W+w) of the winner.</summary>
    void MaxPool2dForward(Tensor x, Tensor y, IntTensor argmax, Pool2dGeometry g);

    /// <summary>dx ← 0, then dx[winner] += dy (overlapping windows accumulate).</summary>
    void MaxPool2dBackward(Tensor dy, IntTensor argmax, Tensor dx, Pool2dGeometry g);

    /// <summary>y[n,c] ← mean over the h·w plane of x[n,c].</summary>
    void GlobalAvgPoolForward(Tensor x, Tensor y, int n, int c, int hw);

    /// <summary>dx[n,c,:] ← dy[n,c] / hw.</summary>
    void GlobalAvgPoolBackward(Tensor dy, Tensor dx, int n, int c, int hw);
}
