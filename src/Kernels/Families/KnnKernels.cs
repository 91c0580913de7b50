using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/knn.cu. Top-k: one 256-thread block per row, radix select with
/// <see cref="TopKCapacity"/> composite keys (32 KB) of dynamic shared memory, at most
/// <see cref="TopKRanksPerLaunch"/> ranks per launch (k above that takes ⌈k / 2048⌉ launches, each
/// continuing below the last rank written). Vote: one 128-thread block per row.
/// </summary>
public sealed class KnnKernels(IKernelDriver driver) : KernelFamily(driver, "knn")
{
    public const int TopKThreads = 256, VoteThreads = 128;

    /// <summary>Shared-memory keys per block: candidates compacted from the row, then the sort buffer.</summary>
    public const int TopKCapacity = 4096;

    /// <summary>Ranks one launch sorts (a power of two ≤ <see cref="TopKCapacity"/>).</summary>
    public const int TopKRanksPerLaunch = 2048;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["topk_rows_forward_kernel"] = new(TopKThreads, TopKCapacity * sizeof(ulong)),
        ["knn_vote_forward_kernel"] = new(VoteThreads, VoteThreads * 8),
    };

    /// <summary>
    /// IBackend.TopKRows: for each row r of scores [rows, cols], values[r, 0..k) ← the k largest scores in
    /// descending order and indices[r, 0..k) ← their columns; equal scores by the lower column first, NaN
    /// below every number, −0 equal to +0 (the cpu reference's order exactly). Requires 0 ≤ k ≤ cols.
    /// </summary>
    public void TopKRows(DeviceBuffer scores, int rows, int cols, int k, DeviceBuffer values, DeviceBuffer indices)
    {
        if (k < 0 || k > cols) throw new ArgumentOutOfRangeException(nameof(k), $"TopKRows: k must be in [0, {cols}], got {k}.");
        Need(scores, (long)rows * cols, nameof(scores)); Need(values, (long)rows * k, nameof(values)); Need(indices, (long)rows * k, nameof(indices));
        if (rows == 0 || k == 0) return;
        for (int rankStart = 0; rankStart < k; rankStart += TopKRanksPerLaunch)
            Launch("topk_rows_forward_kernel", (uint)rows, TopKThreads,
                new KernelArgs().Ptr(scores).Ptr(values).Ptr(indices).I32(rows).I32(cols).I32(k).I32(rankStart)
                    .I32(TopKRanksPerLaunch).I32(TopKCapacity),
                LaunchCost.Elements((long)rows * cols + 2L * rows * Math.Min(TopKRanksPerLaunch, k - rankStart)), TopKCapacity * sizeof(ulong));
    }

    /// <summary>
    /// IBackend.KnnVote: classScores[r, c] ← Σ_{j&lt;k, labels[indices[r, j]] = c} exp(values[r, j] / τ), overwriting
    /// classScores [rows, numClasses]; labels holds <paramref name="labelCount"/> entries. A neighbour index outside
    /// [0, labelCount) or a label outside [0, numClasses) adds nothing and is recorded in the optional error buffer
    /// (<see cref="IndexErrors"/>; codes 8 and 9).
    /// </summary>
    public void KnnVote(DeviceBuffer values, DeviceBuffer indices, DeviceBuffer labels, int labelCount, int rows, int k, int numClasses,
                        float temperature, DeviceBuffer classScores, DeviceBuffer? errors = null)
    {
        Need(values, (long)rows * k, nameof(values)); Need(indices, (long)rows * k, nameof(indices)); Need(labels, labelCount, nameof(labels));
        Need(classScores, (long)rows * numClasses, nameof(classScores));
        if (rows == 0 || numClasses == 0) return;
        Launch("knn_vote_forward_kernel", (uint)rows, VoteThreads,
            new KernelArgs().Ptr(values).Ptr(indices).Ptr(labels).I32(labelCount).Ptr(classScores).I32(rows).I32(k).I32(numClasses)
                .F32(1f / temperature).Ptr(IndexErrors.Pointer(errors)),
            LaunchCost.Elements(3L * rows * k + (long)rows * numClasses), VoteThreads * 8);
    }
}
