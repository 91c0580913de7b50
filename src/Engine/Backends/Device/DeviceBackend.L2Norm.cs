using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Row L2 normalisation: kernels-cu/l2norm.cu, a warp per row.</summary>
public sealed partial class DeviceBackend
{
    public void L2NormalizeRows(Tensor x, Tensor y, Tensor norms, int rows, int cols, float eps) =>
        l2norm.Normalize(Buf(x), Buf(y), Buf(norms), rows, cols, eps);

    public void L2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, int rows, int cols) =>
        l2norm.NormalizeBackward(Buf(y), Buf(norms), Buf(dy), Buf(dx), rows, cols);
}
