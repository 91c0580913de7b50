using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Per-row NCE losses [B] of NPID (Wu et al. 2018, eq. 5–7) for logits s [B, m+1] (already
    /// divided by τ; column 0 the positive, m ≥ 1 noise samples, P_n = 1/N), normaliser Z and data
    /// size N: ℓ_b = −log h(b,0) − Σ_{j≥1} log(1 − h(b,j)), h = σ(s − ln(Z·m/N)).
    /// One fused primitive (<see cref="IBackend.NceRows"/>) in place of softplus built from
    /// relu/exp/log ops; ∂L/∂s_bj = dℓ_b · (h(b,j) − [j = 0]).
    /// Z is the one element of <paramref name="normaliserZ"/> (on the logits' backend), read by the
    /// kernels on the device so that a Z estimated there (NPID's running normaliser) never travels
    /// to the host inside a step. It cannot be checked here: a Z that is not finite and &gt; 0 gives
    /// losses that are not finite (NaN; +∞ for Z = 0), which the training step's log reports. No
    /// gradient flows to Z.
    /// </summary>
    public static Tensor Nce(Tensor logits, Tensor normaliserZ, long dataSize)
    {
        RequireMatrix("Nce", logits);
        if (logits.Shape[1] < 2)
            throw new ArgumentException($"Nce: logits must be [B, m+1] with m ≥ 1 negatives, got {ShapeUtil.Format(logits.Shape)}.");
        if (normaliserZ.Length != 1)
            throw new ArgumentException($"Nce: Z must be a one-element tensor, got {ShapeUtil.Format(normaliserZ.Shape)}.", nameof(normaliserZ));
        if (!ReferenceEquals(normaliserZ.Backend, logits.Backend))
            throw new ArgumentException($"Nce: Z is on {normaliserZ.Backend.Name}, the logits on {logits.Backend.Name}.", nameof(normaliserZ));
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"Nce: data size N must be > 0, got {dataSize}.");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        var backend = logits.Backend;

        var loss = Tensor.Empty(backend, rows);
        backend.NceRows(logits, normaliserZ, dataSize, rows, cols, loss);

        if (Tape.NeedsGrad(logits))
            Tape.Record("Nce", loss, dLoss =>
            {
                var ds = logits.EmptyLike();
                backend.NceRowsBackward(logits, dLoss, normaliserZ, dataSize, rows, cols, ds);
                Tape.AccumulateOwned(logits, ds);
            });
        return loss;
    }

    /// <summary>
    /// <see cref="Nce(Tensor, Tensor, long)"/> with Z known on the host: checked (finite and &gt; 0) and
    /// uploaded as a one-element tensor of the current scope.
    /// </summary>
    public static Tensor Nce(Tensor logits, float normaliserZ, long dataSize)
    {
        if (!(normaliserZ > 0f) || float.IsInfinity(normaliserZ))
            throw new ArgumentOutOfRangeException(nameof(normaliserZ), $"Nce: Z must be finite and > 0, got {normaliserZ}.");
        return Nce(logits, Tensor.FromArray(logits.Backend, [normaliserZ], 1), dataSize);
    }
}
