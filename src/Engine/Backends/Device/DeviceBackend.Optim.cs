using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Fused SGD and Adam/AdamW updates and the weights' EMA: kernels-cu/optim.cu, one launch per parameter tensor. (LARS: DeviceBackend.Lars.cs.)</summary>
public sealed partial class DeviceBackend
{
    public void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, float lr, float momentum, float weightDecay, bool nesterov)
    {
        if (momentumBuffer is null) optim.Sgd(Buf(param), Buf(grad), param.Length, lr, weightDecay);
        else optim.SgdMomentum(Buf(param), Buf(grad), Buf(momentumBuffer), param.Length, lr, momentum, weightDecay, nesterov);
    }

    public void AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2,
                           float eps, float weightDecay, bool decoupledWeightDecay, long step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamUpdate: step is 1-based, got {step}.");
        optim.Adam(Buf(param), Buf(grad), Buf(expAvg), Buf(expAvgSq), param.Length, step, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay);
    }

    public void EmaUpdate(Tensor average, Tensor source, float decay)
    {
        if (average.Length != source.Length) throw new ArgumentException($"EmaUpdate: the average has {average.Length} elements, the source {source.Length}.");
        optim.EmaUpdate(Buf(average), Buf(source), average.Length, decay);
    }
}
