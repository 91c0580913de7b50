using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// LARS update (IBackend.Optim): kernels-cu/optim.cu. The two norms are reduced into a pooled
/// scratch buffer on the device and read there by the update kernel: no host round trip.
/// </summary>
public sealed partial class DeviceBackend
{
    public void LarsUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                           float trustCoefficient, bool adapt, bool nesterov)
    {
        var scratch = Pool.Rent(OptimKernels.LarsScratchBytes);
        try
        {
            optim.LarsUpdate(Buf(param), Buf(grad), Buf(velocity), scratch, param.Length, lr, momentum, weightDecay, trustCoefficient, adapt, nesterov);
        }
        finally
        {
            Pool.Return(scratch);
        }
    }
}
