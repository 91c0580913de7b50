using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/contrastive.cu (InfoNCE, NCE, SupCon): a warp per row, 8 rows per 256-thread block. Each
/// method has the signature of its IBackend.Contrastive primitive with tensors as device
/// buffers. A positive outside the row's candidates is not read; it is recorded in the optional
/// error buffer (<see cref="IndexErrors"/>; codes 6 forward, 7 backward) and its loss is NaN.
/// </summary>
public sealed class ContrastiveKernels(IKernelDriver driver) : KernelFamily(driver, "contrastive")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "info_nce_forward_kernel", "info_nce_backward_kernel", "nce_forward_kernel", "nce_backward_kernel",
        "supcon_forward_kernel", "supcon_backward_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(WarpPerRow.Threads));

    private void Rows(string kernel, int rows, KernelArgs args, LaunchCost cost)
    {
        if (rows > 0) Launch(kernel, WarpPerRow.Grid(rows), WarpPerRow.Threads, args, cost);
    }

    /// <summary>loss[r] = lse[r] − s[r, p_r]/τ, lse[r] = log Σ_{j∈J_r} exp(s[r, j]/τ); J_r excludes j = r when <paramref name="excludeSelf"/>.</summary>
    public void InfoNceRows(DeviceBuffer similarity, DeviceBuffer positives, float temperature, bool excludeSelf, int rows, int cols,
                            DeviceBuffer loss, DeviceBuffer logSumExp, DeviceBuffer? errors = null)
    {
        Need(similarity, (long)rows * cols, nameof(similarity)); Need(positives, rows, nameof(positives));
        Need(loss, rows, nameof(loss)); Need(logSumExp, rows, nameof(logSumExp));
        Rows("info_nce_forward_kernel", rows, new KernelArgs().Ptr(similarity).Ptr(positives).Ptr(loss).Ptr(logSumExp)
            .I32(rows).I32(cols).F32(1f / temperature).I32(excludeSelf ? 1 : 0).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements((long)rows * cols + 3L * rows));
    }

    /// <summary>dS[r, j] = dLoss[r]·(exp(s[r, j]/τ − lse[r]) − [j = p_r])/τ, 0 on the excluded diagonal.</summary>
    public void InfoNceRowsBackward(DeviceBuffer similarity, DeviceBuffer positives, DeviceBuffer logSumExp, DeviceBuffer dLoss,
                                    float temperature, bool excludeSelf, int rows, int cols, DeviceBuffer dSimilarity,
                                    DeviceBuffer? errors = null)
    {
        long n = (long)rows * cols;
        Need(similarity, n, nameof(similarity)); Need(positives, rows, nameof(positives)); Need(logSumExp, rows, nameof(logSumExp));
        Need(dLoss, rows, nameof(dLoss)); Need(dSimilarity, n, nameof(dSimilarity));
        Rows("info_nce_backward_kernel", rows, new KernelArgs().Ptr(similarity).Ptr(positives).Ptr(logSumExp).Ptr(dLoss).Ptr(dSimilarity)
            .I32(rows).I32(cols).F32(1f / temperature).I32(excludeSelf ? 1 : 0).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(2 * n + 3L * rows));
    }

    /// <summary>
    /// NPID NCE per row: loss[r] = softplus(−u_r0) + Σ_{j≥1} softplus(u_rj), u = s − c, m = cols − 1,
    /// c = logf(Z) + (float)(ln m − ln N) with Z = <paramref name="normaliserZ"/>[0] read on the device (NPID keeps
    /// its running estimate there, so that the step never reads back).
    /// </summary>
    public void NceRows(DeviceBuffer logits, DeviceBuffer normaliserZ, long dataSize, int rows, int cols, DeviceBuffer loss)
    {
        Need(logits, (long)rows * cols, nameof(logits)); Need(normaliserZ, 1, nameof(normaliserZ)); Need(loss, rows, nameof(loss));
        Rows("nce_forward_kernel", rows, new KernelArgs().Ptr(logits).Ptr(normaliserZ).Ptr(loss).I32(rows).I32(cols)
            .F32(LogNegativesOverDataSize(cols, dataSize)), LaunchCost.Elements((long)rows * cols + rows + 1));
    }

    /// <summary>dLogits[r, j] = dLoss[r]·(σ(u_rj) − [j = 0]), u and Z as in <see cref="NceRows"/>.</summary>
    public void NceRowsBackward(DeviceBuffer logits, DeviceBuffer dLoss, DeviceBuffer normaliserZ, long dataSize, int rows, int cols,
                                DeviceBuffer dLogits)
    {
        long n = (long)rows * cols;
        Need(logits, n, nameof(logits)); Need(normaliserZ, 1, nameof(normaliserZ)); Need(dLoss, rows, nameof(dLoss)); Need(dLogits, n, nameof(dLogits));
        Rows("nce_backward_kernel", rows, new KernelArgs().Ptr(logits).Ptr(normaliserZ).Ptr(dLoss).Ptr(dLogits).I32(rows).I32(cols)
            .F32(LogNegativesOverDataSize(cols, dataSize)), LaunchCost.Elements(2 * n + rows + 1));
    }

    /// <summary>
    /// SupCon L_out per anchor row r (rows ≤ cols, anchor r = column r): loss[r] = lse[r] − mean_{p∈P(r)} s[r, p]/τ,
    /// lse[r] = log Σ_{j≠r} exp(s[r, j]/τ), P(r) = {j ≠ r : labels[j] = labels[r]}, count[r] = |P(r)|; loss 0 when P(r) is empty.
    /// </summary>
    public void SupConRows(DeviceBuffer similarity, DeviceBuffer labels, float temperature, int rows, int cols,
                           DeviceBuffer loss, DeviceBuffer logSumExp, DeviceBuffer positiveCounts)
    {
        RequireAnchorsAmongColumns(rows, cols);
        Need(similarity, (long)rows * cols, nameof(similarity)); Need(labels, cols, nameof(labels));
        Need(loss, rows, nameof(loss)); Need(logSumExp, rows, nameof(logSumExp)); Need(positiveCounts, rows, nameof(positiveCounts));
        Rows("supcon_forward_kernel", rows, new KernelArgs().Ptr(similarity).Ptr(labels).Ptr(loss).Ptr(logSumExp).Ptr(positiveCounts)
            .I32(rows).I32(cols).F32(1f / temperature), LaunchCost.Elements((long)rows * cols + cols + 4L * rows));
    }

    /// <summary>dS[r, j] = dLoss[r]·(exp(s[r, j]/τ − lse[r]) − [j ∈ P(r)]/|P(r)|)/τ for j ≠ r; 0 on the diagonal and on rows without positives.</summary>
    public void SupConRowsBackward(DeviceBuffer similarity, DeviceBuffer labels, DeviceBuffer logSumExp, DeviceBuffer positiveCounts,
                                   DeviceBuffer dLoss, float temperature, int rows, int cols, DeviceBuffer dSimilarity)
    {
        RequireAnchorsAmongColumns(rows, cols);
        long n = (long)rows * cols;
        Need(similarity, n, nameof(similarity)); Need(labels, cols, nameof(labels)); Need(logSumExp, rows, nameof(logSumExp));
        Need(positiveCounts, rows, nameof(positiveCounts)); Need(dLoss, rows, nameof(dLoss)); Need(dSimilarity, n, nameof(dSimilarity));
        Rows("supcon_backward_kernel", rows, new KernelArgs().Ptr(similarity).Ptr(labels).Ptr(logSumExp).Ptr(positiveCounts).Ptr(dLoss)
            .Ptr(dSimilarity).I32(rows).I32(cols).F32(1f / temperature), LaunchCost.Elements(2 * n + cols + 4L * rows));
    }

    private static void RequireAnchorsAmongColumns(int rows, int cols)
    {
        if (rows < 0 || rows > cols || cols < 2 && rows > 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"SupCon: the anchors are the first rows of the candidates (rows ≤ cols, cols ≥ 2), got {rows} × {cols}.");
    }

    /// <summary>
    /// ln(m/N) = (float)(ln m − ln N), the host part of c = logf(Z) + ln(m/N): in double, rounded once, the same
    /// expression as the cpu reference (CpuBackend.NceOffset).
    /// </summary>
    private static float LogNegativesOverDataSize(int cols, long dataSize)
    {
        if (cols < 2) throw new ArgumentOutOfRangeException(nameof(cols), $"NCE needs m ≥ 1 negatives (cols ≥ 2), got cols = {cols}.");
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NCE needs a data size N > 0, got {dataSize}.");
        return (float)(Math.Log(cols - 1) - Math.Log(dataSize));
    }
}
