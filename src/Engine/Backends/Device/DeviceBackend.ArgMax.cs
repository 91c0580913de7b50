using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Per-row arg-max / arg-min: kernels-cu/argmax.cu (a warp per row).</summary>
public sealed partial class DeviceBackend
{
    public void ArgMaxRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices) =>
        argMax.ArgMaxRows(Buf(x), rows, cols, Buf(values), Buf(indices));

    public void ArgMinRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices) =>
        argMax.ArgMinRows(Buf(x), rows, cols, Buf(values), Buf(indices));
}
