using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Convolution. TEMPORARY: runs on the cpu backend through <see cref="HostFallback"/> until
/// kernels-cu/conv.cu lands; this file is then replaced by launches of its kernels.
/// </summary>
public sealed partial class DeviceBackend
{
    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        HostFallback.Run(this, h => CpuBackend.Instance.Conv2dForward(h.In(x), h.In(w), h.In(bias), h.Out(y), g));

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g) =>
        HostFallback.Run(this, h => CpuBackend.Instance.Conv2dBackwardData(h.In(dy), h.In(w), h.Out(dx), g));

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g) =>
        HostFallback.Run(this, h => CpuBackend.Instance.Conv2dBackwardWeight(h.In(x), h.In(dy), h.Out(dw), h.Out(dbias), g));
}
