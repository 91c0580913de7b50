using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Pooling: kernels-cu/pool.cu.</summary>
public sealed partial class DeviceBackend
{
    private static PoolShape Shape(Pool2dGeometry g) => new(g.N, g.C, g.H, g.W, g.Kernel, g.Stride, g.Pad);

    public void MaxPool2dForward(Tensor x, Tensor y, IntTensor argmax, Pool2dGeometry g) =>
        pool.MaxPool2dForward(Buf(x), Buf(y), Buf(argmax), Shape(g));

    public void MaxPool2dBackward(Tensor dy, IntTensor argmax, Tensor dx, Pool2dGeometry g) =>
        pool.MaxPool2dBackward(Buf(dy), Buf(argmax), Buf(dx), Shape(g));

    public void GlobalAvgPoolForward(Tensor x, Tensor y, int n, int c, int hw) =>
        pool.GlobalAvgPoolForward(Buf(x), Buf(y), n, c, hw);

    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, int n, int c, int hw) =>
        pool.GlobalAvgPoolBackward(Buf(dy), Buf(dx), n, c, hw);
}
