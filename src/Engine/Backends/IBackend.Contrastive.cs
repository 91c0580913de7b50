using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// Fused contrastive losses, one row per anchor (kernels-cu/contrastive.cu). Each forward
/// reads its logits once and writes one loss per row; each backward writes the gradient of
/// those per-row losses, scaled per row by the upstream gradient. The mean over rows is left
/// to the caller (an ordinary reduction).
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// InfoNCE rows: for similarities s [rows, cols], t_rj = s_rj · (1/τ) (1/τ rounded to float
    /// once) over the candidate columns J_r = {j ≠ r} when <paramref name="excludeSelf"/> (SimCLR's
    /// NT-Xent on the [2N, 2N] cosine-similarity matrix, Chen et al. 2020, eq. 1), else all columns
    /// (NPID's full softmax, Wu et al. 2018, eq. 2):
    /// logSumExp[r] ← log Σ_{j∈J_r} exp t_rj (max-subtracted); loss[r] ← logSumExp[r] − t_{r,p_r},
    /// i.e. −log softmax_{J_r}(t_r) at the positive p_r = positives[r].
    /// Requires p_r ∈ [0, cols), p_r ∈ J_r, and rows ≤ cols with cols ≥ 2 when excluding self.
    /// </summary>
    void InfoNceRows(Tensor similarity, IntTensor positives, float temperature, bool excludeSelf, int rows, int cols,
                     Tensor loss, Tensor logSumExp);

    /// <summary>
    /// Gradient of <see cref="InfoNceRows"/>: dSimilarity[r, j] ← dLoss[r] · (exp(t_rj − logSumExp[r]) − [j = p_r]) · (1/τ)
    /// for j ∈ J_r and 0 for the excluded diagonal; <paramref name="logSumExp"/> is the forward's.
    /// </summary>
    void InfoNceRowsBackward(Tensor similarity, IntTensor positives, Tensor logSumExp, Tensor dLoss, float temperature,
                             bool excludeSelf, int rows, int cols, Tensor dSimilarity);

    /// <summary>
    /// NPID's NCE rows (Wu et al. 2018, eq. 5–7; lemniscate.pytorch's NCECriterion): logits s [rows, m+1]
    /// (already divided by τ), column 0 the positive, m = cols − 1 ≥ 1 noise samples with P_n = 1/N.
    /// With P = exp(s)/Z and h = P / (P + m·P_n) = σ(u), u = s − c, c = logf(Z) + (float)(ln m − ln N)
    /// (fp32 log of Z plus the constant ln(m/N) evaluated in double and rounded once):
    /// loss[r] ← −log h(r,0) − Σ_{j≥1} log(1 − h(r,j)) = softplus(−u_r0) + Σ_{j≥1} softplus(u_rj),
    /// softplus(x) = max(x, 0) + log1p(e^{−|x|}) (no overflow, no cancellation).
    /// Z is the one element of <paramref name="normaliserZ"/>, a tensor so that it can stay on the device
    /// (NPID re-estimates it from every batch there); it is not checked: Z &lt; 0 or NaN gives NaN losses, Z = 0 +∞.
    /// </summary>
    void NceRows(Tensor logits, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor loss);

    /// <summary>
    /// Gradient of <see cref="NceRows"/>: dLogits[r, j] ← dLoss[r] · (σ(u_rj) − [j = 0]), the j = 0 term
    /// evaluated as −σ(−u_r0) so that it does not cancel.
    /// </summary>
    void NceRowsBackward(Tensor logits, Tensor dLoss, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor dLogits);

    /// <summary>
    /// Supervised contrastive rows (Khosla et al. 2020, L_out, eq. 2), for similarities s [rows, cols]
    /// whose anchors are the first <paramref name="rows"/> candidates (anchor r is column r; SupCon's
    /// [2N, 2N] cosine-similarity matrix of all views) and the class of every candidate
    /// labels [cols] (compared for equality only). With t_rj = s_rj · (1/τ) (1/τ rounded to float once),
    /// A(r) = {j ≠ r} and the positives P(r) = {j ∈ A(r) : labels[j] = labels[r]}:
    /// logSumExp[r] ← log Σ_{j∈A(r)} exp t_rj, positiveCounts[r] ← |P(r)|,
    /// loss[r] ← logSumExp[r] − (1/|P(r)|) Σ_{p∈P(r)} t_rp = −(1/|P(r)|) Σ_{p∈P(r)} log softmax_{A(r)}(t_r)_p,
    /// and loss[r] ← 0 when P(r) is empty (an anchor without positives contributes nothing).
    /// Requires rows ≤ cols and cols ≥ 2.
    /// </summary>
    void SupConRows(Tensor similarity, IntTensor labels, float temperature, int rows, int cols, Tensor loss, Tensor logSumExp,
                    IntTensor positiveCounts);

    /// <summary>
    /// Gradient of <see cref="SupConRows"/>: dSimilarity[r, j] ← dLoss[r] · (exp(t_rj − logSumExp[r]) − [j ∈ P(r)]/|P(r)|) · (1/τ)
    /// for j ≠ r; 0 on the diagonal and on every row with |P(r)| = 0. <paramref name="logSumExp"/> and
    /// <paramref name="positiveCounts"/> are the forward's.
    /// </summary>
    void SupConRowsBackward(Tensor similarity, IntTensor labels, Tensor logSumExp, IntTensor positiveCounts, Tensor dLoss, float temperature,
                            int rows, int cols, Tensor dSimilarity);
}
