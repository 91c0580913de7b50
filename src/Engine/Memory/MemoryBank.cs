using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Memory;

/// <summary>
/// NPID's memory bank (Wu et al. 2018, §3.2): one D-dimensional unit vector per training
/// sample, Storage [N, D] (row i = v_i). It is method state, not a parameter: it never
/// requires a gradient, is read by <see cref="Gather"/> and written only by
/// <see cref="MomentumUpdate"/> (v_i ← m·v_i + (1−m)·f_i, then v_i ← v_i/‖v_i‖₂).
/// Invariant: every row has unit L2 norm (up to float rounding) at all times.
/// </summary>
public sealed class MemoryBank : IDisposable
{
    public MemoryBank(IBackend backend, int size, int dim)
    {
        if (size <= 0 || dim <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"MemoryBank: size and dim must be > 0, got {size}×{dim}.");
        using var _ = TensorScope.Suspend();
        Storage = Tensor.Zeros(backend, size, dim);
        Storage.Name = "memory_bank";
    }

    /// <summary>N, the number of entries (training samples).</summary>
    public int Size => Storage.Dim(0);

    /// <summary>D, the feature dimension.</summary>
    public int Dim => Storage.Dim(1);

    /// <summary>The bank [N, D] itself (checkpointed as "memory_bank"; load by copying into it).</summary>
    public Tensor Storage { get; }

    /// <summary>
    /// Random init as lemniscate.pytorch's NCEAverage: entries uniform in [−stdv, stdv] with
    /// stdv = 1/√(D/3), which makes E‖v‖² = D·stdv²/3 = 1. lemniscate stops there (norms then
    /// scatter around 1 by about 1/√(5D/9)); we additionally L2-normalise every row so the bank holds unit
    /// vectors from the first step, as the paper's text describes it. Drawn from Philox stream
    /// <see cref="StreamId.BankInit"/> on the bank's own backend (bit-identical draws on every device).
    /// </summary>
    public void InitializeRandom(ulong seed)
    {
        int n = Size, d = Dim;
        float stdv = 1f / MathF.Sqrt(d / 3f);
        using var scope = TensorScope.Begin();
        var raw = Tensor.Empty(Storage.Backend, n, d);
        Storage.Backend.RandomUniform(raw, seed, StreamId.Of(StreamId.BankInit), -stdv, stdv);   // drawn where the bank lives: no host array, no upload
        Storage.Backend.L2NormalizeRows(raw, Storage, Tensor.Empty(Storage.Backend, n), n, d, 1e-12f);
    }

    /// <summary>The rows bank[indices[i]] as a new [M, D] tensor (no gradient: the bank is not trainable).</summary>
    public Tensor Gather(IntTensor indices)
    {
        if (indices.Shape.Length != 1) throw new ArgumentException($"MemoryBank.Gather: indices must be 1-D, got {ShapeUtil.Format(indices.Shape)}.");
        using var _ = Tape.NoGrad();
        return Ops.GatherRows(Storage, indices);
    }

    /// <summary>
    /// bank[j] ← normalise(m·bank[j] + (1−m)·features[i]) for j = indices[i] (lemniscate's update
    /// in NCEFunction.backward). Every read uses the bank as it was before the call; with a
    /// repeated index the last occurrence wins.
    /// </summary>
    public void MomentumUpdate(IntTensor indices, Tensor features, float momentum)
    {
        if (indices.Shape.Length != 1 || features.Rank != 2 || features.Dim(0) != indices.Shape[0] || features.Dim(1) != Dim)
            throw new ArgumentException($"MemoryBank.MomentumUpdate: needs indices [M] and features [M,{Dim}], got {ShapeUtil.Format(indices.Shape)} and {ShapeUtil.Format(features.Shape)}.");
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), $"MemoryBank: momentum must be in [0, 1], got {momentum}.");
        Storage.Backend.MomentumUpdateRows(Storage, indices, features, momentum, Dim);
    }

    public void Dispose() => Storage.Dispose();
}
