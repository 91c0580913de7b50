using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Losses;

/// <summary>
/// The supervised contrastive loss L_out of Khosla et al. 2020 (eq. 2). For projections z [V·N, D]
/// whose rows v·N + i are view v of sample i, and the samples' classes y [N]: every one of the V·N
/// views is an anchor; with ẑ = z/‖z‖₂, A(a) = every other view, P(a) = the views in A(a) of the
/// anchor's class (its own other views included),
/// ℓ(a) = −(1/|P(a)|) Σ_{p∈P(a)} log( exp(ẑ_a·ẑ_p/τ) / Σ_{k∈A(a)} exp(ẑ_a·ẑ_k/τ) ),
/// L = the mean of ℓ(a) over the anchors that have a positive. An anchor without positives (a
/// single view of a class that appears once in the batch) contributes nothing and is counted in
/// <see cref="Result.AnchorsWithoutPositive"/>; with V ≥ 2 views every anchor has at least its own
/// other views. When no anchor has a positive the loss is 0 (with zero gradients), never 0/0.
/// The reference code (HobbitLong/SupContrast) also scales by τ/0.07; that constant is left out,
/// as in the paper's equation.
/// </summary>
public static class SupConLoss
{
    /// <param name="Loss">The scalar loss (on the tape).</param>
    /// <param name="AnchorsWithoutPositive">Anchors with |P(a)| = 0 (counted on the host from the labels).</param>
    /// <param name="Positives">Σ_a |P(a)| over all anchors.</param>
    public readonly record struct Result(Tensor Loss, int Anchors, int AnchorsWithoutPositive, long Positives);

    public static Result Compute(Tensor z, ReadOnlySpan<int> labels, float temperature)
    {
        if (z.Rank != 2) throw new ArgumentException($"SupConLoss: z must be [V·N, D], got {ShapeUtil.Format(z.Shape)}.");
        int n = labels.Length, rows = z.Shape[0];
        if (n == 0 || rows % n != 0 || rows < 2)
            throw new ArgumentException($"SupConLoss: z's {rows} rows must be V ≥ 1 views of the {n} labelled samples (and at least 2 rows).");
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), $"SupConLoss: temperature must be > 0, got {temperature}.");
        int views = rows / n;

        var columnLabels = new int[rows];
        for (int v = 0; v < views; v++) labels.CopyTo(columnLabels.AsSpan(v * n, n));
        // |P(a)| = (views of the anchor's class in the batch) − 1, from the labels alone.
        var perClass = new Dictionary<int, int>();
        foreach (int y in labels) perClass[y] = perClass.GetValueOrDefault(y) + views;
        int without = 0;
        long positives = 0;
        foreach (int y in columnLabels)
        {
            int p = perClass[y] - 1;
            positives += p;
            if (p == 0) without++;
        }

        var unit = Ops.L2Normalize(z);
        var similarity = Ops.MatMul(unit, unit, transA: false, transB: true);
        var perAnchor = Ops.SupCon(similarity, IntTensor.FromArray(z.Backend, columnLabels), temperature);
        int withPositive = rows - without;
        var loss = Ops.Scale(Ops.Sum(perAnchor), withPositive > 0 ? 1f / withPositive : 0f);
        return new Result(loss, rows, without, positives);
    }
}
