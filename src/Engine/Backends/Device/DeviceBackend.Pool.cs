using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Pooling. TEMPORARY: runs on the cpu backend through <see cref="HostFallback"/> until
/// kernels-cu/pool.cu lands; this file is then replaced by launches of its kernels.
/// </summary>
public sealed partial class DeviceBackend
{
    public void MaxPool2dForward(Tensor x, Tensor y, IntTensor argmax, Pool2dGeometry g) =>
        HostFallback.Run(this, h => CpuBackend.Instance.MaxPool2dForward(h.In(x), h.Out(y), h.Out(argmax), g));

    public void MaxPool2dBackward(Tensor dy, IntTensor argmax, Tensor dx, Pool2dGeometry g) =>
        HostFallback.Run(this, h => CpuBackend.Instance.MaxPool2dBackward(h.In(dy), h.In(argmax), h.Out(dx), g));

    public void GlobalAvgPoolForward(Tensor x, Tensor y, int n, int c, int hw) =>
        HostFallback.Run(this, h => CpuBackend.Instance.GlobalAvgPoolForward(h.In(x), h.Out(y), n, c, hw));

    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx, int n, int c, int hw) =>
        HostFallback.Run(this, h => CpuBackend.Instance.GlobalAvgPoolBackward(h.In(dy), h.Out(dx), n, c, hw));
}
