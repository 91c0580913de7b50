using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Fused SGD, Adam/AdamW and LARS updates and the weights' EMA: kernels-cu/optim.cu, one launch per
/// parameter tensor, or one for all of an optimiser's tensors (SgdMultiUpdate, AdamMultiUpdate,
/// LarsMultiUpdate, EmaMultiUpdate). LARS reduces its two norms into a pooled scratch buffer on the
/// device, read there by the update kernel: no host round trip.
/// </summary>
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

    public void EmaUpdate(Tensor average, Tensor source, float decay)
    {
        if (average.Length != source.Length) throw new ArgumentException($"EmaUpdate: the average has {average.Length} elements, the source {source.Length}.");
        optim.EmaUpdate(Buf(average), Buf(source), average.Length, decay);
    }

    public void SgdMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, bool nesterov)
    {
        if (set.Parameters.Count == 0) return;
        optim.SgdMulti(TableOf(set, needsState2: false), lr, momentum, weightDecay, nesterov);
    }

    public void AdamMultiUpdate(MultiTensorSet set, float lr, float beta1, float beta2, float eps, float weightDecay,
                                bool decoupledWeightDecay, long step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamMultiUpdate: step is 1-based, got {step}.");
        if (set.Parameters.Count == 0) return;
        if (set.State1 is null || set.State2 is null || set.State1.Any(t => t is null) || set.State2.Any(t => t is null))
            throw new ArgumentException("AdamMultiUpdate: every parameter needs both moments.");
        optim.AdamMulti(TableOf(set, needsState2: true), step, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay);
    }

    public void LarsMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, float trustCoefficient, bool nesterov)
    {
        if (set.Parameters.Count == 0) return;
        if (set.State1 is null || set.State1.Any(t => t is null)) throw new ArgumentException("LarsMultiUpdate: every parameter needs a velocity.");
        optim.LarsMulti(TableOf(set, needsState2: false), lr, momentum, weightDecay, trustCoefficient, nesterov);
    }

    public void EmaMultiUpdate(MultiTensorSet set, float decay)
    {
        if (set.State1 is null || set.State1.Any(t => t is null)) throw new ArgumentException("EmaMultiUpdate: every average needs a source (State1).");
        optim.EmaMulti(TableOf(set, needsState2: false, gradients: false), decay);
    }

    public void CountNonFiniteMulti(MultiTensorSet set, IntTensor counts, int slot)
    {
        if ((uint)slot >= (ulong)counts.Length) throw new ArgumentOutOfRangeException(nameof(slot), $"CountNonFiniteMulti: slot {slot} of {counts.Length} counts.");
        if (set.Parameters.Count == 0) return;
        optim.NonFiniteMultiCount(TableOf(set, needsState2: false, gradients: false), Buf(counts), slot);
    }

    /// <summary>
    /// The set's device table, built and uploaded on first use and reused while every parameter, gradient and
    /// state tensor still has the same device memory (a host-side comparison of pointers, no upload); rebuilt otherwise.
    /// </summary>
    private Kernels.Families.OptimKernels.MultiTable TableOf(MultiTensorSet set, bool needsState2, bool gradients = true)
    {
        var entries = new Kernels.Families.OptimKernels.MultiEntry[set.Parameters.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            var p = set.Parameters[i];
            // A read-only pass (the non-finite count) reads no gradient: the table's g slot repeats w.
            var g = gradients ? p.Grad ?? throw new InvalidOperationException($"multi-tensor update: parameter {i} has no gradient.") : p;
            if (g.Length != p.Length) throw new ArgumentException($"multi-tensor update: parameter {i} has {p.Length} elements, its gradient {g.Length}.");
            var s1 = set.State1?[i];
            var s2 = needsState2 ? set.State2?[i] : null;
            entries[i] = new(Buf(p), Buf(g), s1 is null ? null : Buf(s1), s2 is null ? null : Buf(s2), p.Length);
        }
        if (set.BackendTable is Kernels.Families.OptimKernels.MultiTable table && table.Table.Driver == Driver && table.Matches(entries))
            return table;
        set.BackendTable?.Dispose();
        var built = optim.BuildMultiTable(entries, set.Adapt);
        set.BackendTable = built;
        return built;
    }
}
