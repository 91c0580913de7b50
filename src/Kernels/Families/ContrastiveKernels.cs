using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/contrastive.cu: a warp per row, 8 rows per 256-thread block. Each
/// method has the signature of its IBackend.Contrastive primitive with tensors as device
/// buffers. A positive outside the row's candidates is not read; it is recorded in the optional
/// error buffer (<see cref="IndexErrors"/>; codes 6 forward, 7 backward) and its loss is NaN.
/// </summary>
public sealed class ContrastiveKernels(IKernelDriver driver) : KernelFamily(driver, "contrastive")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "info_nce_forward_kernel", "info_nce_backward_kernel", "nce_forward_kernel", "nce_backward_kernel",
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

    /// <summary>NPID NCE per row: loss[r] = softplus(−u_r0) + Σ_{j≥1} softplus(u_rj), u = s − ln(Z·m/N), m = cols − 1.</summary>
    public void NceRows(DeviceBuffer logits, float normaliserZ, long dataSize, int rows, int cols, DeviceBuffer loss)
    {
        Need(logits, (long)rows * cols, nameof(logits)); Need(loss, rows, nameof(loss));
        Rows("nce_forward_kernel", rows, new KernelArgs().Ptr(logits).Ptr(loss).I32(rows).I32(cols).F32(NceOffset(normaliserZ, cols, dataSize)),
            LaunchCost.Elements((long)rows * cols + rows));
    }

    /// <summary>dLogits[r, j] = dLoss[r]·(σ(u_rj) − [j = 0]).</summary>
    public void NceRowsBackward(DeviceBuffer logits, DeviceBuffer dLoss, float normaliserZ, long dataSize, int rows, int cols, DeviceBuffer dLogits)
    {
        long n = (long)rows * cols;
        Need(logits, n, nameof(logits)); Need(dLoss, rows, nameof(dLoss)); Need(dLogits, n, nameof(dLogits));
        Rows("nce_backward_kernel", rows, new KernelArgs().Ptr(logits).Ptr(dLoss).Ptr(dLogits).I32(rows).I32(cols)
            .F32(NceOffset(normaliserZ, cols, dataSize)), LaunchCost.Elements(2 * n + rows));
    }

    /// <summary>c = ln(Z·m/N) in double, rounded once: the same expression as the cpu reference (CpuBackend.NceOffset).</summary>
    private static float NceOffset(float normaliserZ, int cols, long dataSize)
    {
        if (cols < 2) throw new ArgumentOutOfRangeException(nameof(cols), $"NCE needs m ≥ 1 negatives (cols ≥ 2), got cols = {cols}.");
        return (float)(Math.Log(normaliserZ) + Math.Log(cols - 1) - Math.Log(dataSize));
    }
}
