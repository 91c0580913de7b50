using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// NPID memory-bank update (IBackend.Index's MomentumUpdateRows). TEMPORARY: runs on the cpu
/// backend through <see cref="HostFallback"/> until its kernel lands in kernels-cu/index.cu;
/// this file is then replaced by a launch of it.
/// </summary>
public sealed partial class DeviceBackend
{
    public void MomentumUpdateRows(Tensor bank, IntTensor index, Tensor features, float momentum, int cols) =>
        HostFallback.Run(this, h => CpuBackend.Instance.MomentumUpdateRows(h.InOut(bank), h.In(index), h.In(features), momentum, cols));
}
