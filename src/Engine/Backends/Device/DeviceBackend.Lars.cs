using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// LARS update. TEMPORARY: runs on the cpu backend through <see cref="HostFallback"/> until its
/// kernel lands in kernels-cu/optim.cu; this file is then replaced by launches of it.
/// </summary>
public sealed partial class DeviceBackend
{
    public void LarsUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                           float trustCoefficient, bool adapt, bool nesterov) =>
        HostFallback.Run(this, h => CpuBackend.Instance.LarsUpdate(h.InOut(param), h.In(grad), h.InOut(velocity), lr, momentum, weightDecay,
            trustCoefficient, adapt, nesterov));
}
