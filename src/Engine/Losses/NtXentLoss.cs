using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Losses;

/// <summary>
/// NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020,
/// eq. 1). For projections z [2N, D] whose rows i and i+N are two views of sample i:
/// s_ij = ẑ_iᵀẑ_j / τ with ẑ = z/‖z‖₂, and
/// ℓ(i) = −log( exp(s_{i,pos(i)}) / Σ_{k≠i} exp(s_ik) ),  pos(i) = (i + N) mod 2N,
/// L = (1/2N) Σ_i ℓ(i), i.e. the mean over both orderings of every positive pair.
/// </summary>
public static class NtXentLoss
{
    public static Tensor Compute(Tensor z, float temperature)
    {
        if (z.Rank != 2) throw new ArgumentException($"NtXentLoss: z must be [2N, D], got {ShapeUtil.Format(z.Shape)}.");
        int rows = z.Shape[0];
        if (rows < 2 || rows % 2 != 0) throw new ArgumentException($"NtXentLoss: z needs an even number (≥ 2) of rows, two views per sample; got {rows}.");
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), $"NtXentLoss: temperature must be > 0, got {temperature}.");
        int n = rows / 2;

        var unit = Ops.L2Normalize(z);
        var similarity = Ops.MatMul(unit, unit, transA: false, transB: true);

        var positives = new int[rows];
        for (int i = 0; i < rows; i++) positives[i] = (i + n) % rows;
        var targets = IntTensor.FromArray(z.Backend, positives);
        // Row i of the similarities is a (2N−1)-way classification over k ≠ i whose answer is
        // pos(i): InfoNCE with the diagonal excluded is exactly ℓ(i) of eq. 1, fused into one
        // primitive per direction (no masked or log-softmax matrix is materialised).
        return Ops.Mean(Ops.InfoNce(similarity, targets, temperature, excludeSelf: true));
    }
}
