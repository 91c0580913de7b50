using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Batch normalisation (the BN part of IBackend.Norm; row L2 is in DeviceBackend.Norm.cs).
/// TEMPORARY: runs on the cpu backend through <see cref="HostFallback"/> until the batch-norm
/// kernels land; this file is then replaced by launches of them.
/// </summary>
public sealed partial class DeviceBackend
{
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu) =>
        HostFallback.Run(this, h => CpuBackend.Instance.BatchNormForwardTraining(h.In(x), h.In(gamma), h.In(beta), h.Out(y),
            h.Out(saveMean), h.Out(saveInvStd), h.InOut(runningMean), h.InOut(runningVar), n, c, hw, momentum, eps, relu));

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu) =>
        HostFallback.Run(this, h => CpuBackend.Instance.BatchNormForwardInference(h.In(x), h.In(gamma), h.In(beta), h.Out(y),
            h.In(runningMean), h.In(runningVar), n, c, hw, eps, relu));

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        HostFallback.Run(this, h => CpuBackend.Instance.BatchNormBackward(h.In(x), h.In(dy), h.In(y), h.In(gamma), h.In(saveMean),
            h.In(saveInvStd), h.Out(dx), h.Out(dgamma), h.Out(dbeta), n, c, hw));
}
