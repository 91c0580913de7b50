using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// Fused per-tensor optimiser updates (kernels-cu/optim.cu): each call reads a parameter,
/// its gradient and its state once and writes the parameter and the state in place. All
/// tensors of one call have the same length; hyper-parameters are plain scalars. The
/// gradient is never modified.
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// SGD with PyTorch's semantics (dampening 0): d = g + wd·p; when <paramref name="momentumBuffer"/>
    /// is given (momentum ≠ 0): buf ← μ·buf + d, then d ← d + μ·buf (Nesterov) or d ← buf;
    /// finally p ← p − lr·d. A zero-initialised buffer makes the first step buf = d, as PyTorch.
    /// </summary>
    void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, float lr, float momentum, float weightDecay, bool nesterov);

    /// <summary>
    /// LARS, SimCLR's variant (its lars_optimizer.py): d = g + wd·p; when <paramref name="adapt"/>
    /// the trust ratio r = η·‖p‖/‖d‖ (r = 1 when either norm is 0), else r = 1; with the scaled
    /// rate λ = lr·r: v ← μ·v + λ·d, then p ← p − (μ·v + λ·d) (Nesterov) or p ← p − v.
    /// The velocity v holds the learning rate already (SimCLR's convention). The norms are
    /// taken before the update, in double on the cpu.
    /// </summary>
    void LarsUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                    float trustCoefficient, bool adapt, bool nesterov);

    /// <summary>
    /// Adam / AdamW with PyTorch's semantics, at 1-based step t:
    /// Adam (L2, <paramref name="decoupledWeightDecay"/> false): g ← g + wd·p;
    /// AdamW (decoupled): p ← p·(1 − lr·wd) first.
    /// Then m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
    /// p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε).
    /// </summary>
    void AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2,
                    float eps, float weightDecay, bool decoupledWeightDecay, long step);

    /// <summary>
    /// Exponential moving average of a tensor, in place: a ← d·a + (1 − d)·x (the EMA of the
    /// weights, <see cref="Optim.WeightAverage"/>). d = 0 copies x; <paramref name="source"/> is not modified.
    /// </summary>
    void EmaUpdate(Tensor average, Tensor source, float decay);

    /// <summary>
    /// <see cref="EmaUpdate"/> of every tensor of <paramref name="set"/>: the set's parameters are the averages and
    /// its <see cref="MultiTensorSet.State1"/> the weights they move toward. One launch on a device (optim.cu
    /// ema_multi), bit-identical to the per-tensor updates; no gradients are read.
    /// </summary>
    void EmaMultiUpdate(MultiTensorSet set, float decay);

    /// <summary>
    /// <see cref="SgdUpdate"/> of every parameter of <paramref name="set"/> (gradient: its Grad; momentum
    /// buffer: <see cref="MultiTensorSet.State1"/>, null or absent for none), with the same scalars: one
    /// launch on a device (kernels-cu/optim.cu sgd_multi), bit-identical to the per-tensor updates.
    /// </summary>
    void SgdMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, bool nesterov);

    /// <summary>
    /// <see cref="AdamUpdate"/> of every parameter of <paramref name="set"/> (m: State1, v: State2), all at
    /// the same 1-based <paramref name="step"/>: one launch on a device (optim.cu adam_multi), bit-identical
    /// to the per-tensor updates.
    /// </summary>
    void AdamMultiUpdate(MultiTensorSet set, float lr, float beta1, float beta2, float eps, float weightDecay,
                         bool decoupledWeightDecay, long step);

    /// <summary>
    /// <see cref="LarsUpdate"/> of every parameter of <paramref name="set"/> (velocity: State1): a parameter whose
    /// <see cref="MultiTensorSet.Adapt"/> flag is true gets <paramref name="weightDecay"/> and the trust ratio of its
    /// own norms, the others weight decay 0 and no adaptation (as <see cref="Optim.Lars"/> applies its exclusion).
    /// Two launches on a device (optim.cu lars_multi_norms, lars_multi_update), bit-identical to the per-tensor ones.
    /// </summary>
    void LarsMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, float trustCoefficient, bool nesterov);

    /// <summary>
    /// counts[<paramref name="slot"/>] += the number of values of the set's parameters that are not finite (NaN,
    /// ±Infinity): the training step's check that the update left every weight finite, one launch on a device
    /// (optim.cu nonfinite_multi_count) and no read-back, so the step need not wait for the device. The parameters
    /// need no gradient; the count accumulates (zero it first).
    /// </summary>
    void CountNonFiniteMulti(MultiTensorSet set, IntTensor counts, int slot);
}
