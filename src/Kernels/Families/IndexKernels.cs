using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/index.cu (gather / scatter-add: grid-stride over count·cols elements,
/// 256 threads; momentum update: a warp per index entry, 8 per block). An index
/// outside the addressed rows is skipped (gather writes 0) and reported into the optional error
/// buffer (<see cref="IndexErrors"/>); rows = -1 takes the row count from the buffer's size.
/// </summary>
public sealed class IndexKernels(IKernelDriver driver) : KernelFamily(driver, "index")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["gather_rows_forward_kernel"] = new(256),
        ["scatter_add_rows_forward_kernel"] = new(256),
        ["momentum_update_rows_forward_kernel"] = new(WarpPerRow.Threads),
    };

    /// <summary>dst[i, :] = src[idx[i], :] for idx[i] in [0, srcRows).</summary>
    public void GatherRows(DeviceBuffer src, DeviceBuffer idx, DeviceBuffer dst, int count, int cols, int srcRows = -1, DeviceBuffer? errors = null)
    {
        Need(idx, count, nameof(idx)); Need(dst, (long)count * cols, nameof(dst));
        srcRows = Rows(src, cols, srcRows, nameof(src));
        long n = (long)count * cols;
        if (n > 0) Launch("gather_rows_forward_kernel", GridFor(n, 256), 256,
            new KernelArgs().Ptr(src).Ptr(idx).Ptr(dst).I32(count).I32(cols).I32(srcRows).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(2 * n + count));
    }

    /// <summary>dst[idx[i], :] += src[i, :] for idx[i] in [0, dstRows) (atomic; repeated indices accumulate).</summary>
    public void ScatterAddRows(DeviceBuffer src, DeviceBuffer idx, DeviceBuffer dst, int count, int cols, int dstRows = -1, DeviceBuffer? errors = null)
    {
        Need(src, (long)count * cols, nameof(src)); Need(idx, count, nameof(idx));
        dstRows = Rows(dst, cols, dstRows, nameof(dst));
        long n = (long)count * cols;
        if (n > 0) Launch("scatter_add_rows_forward_kernel", GridFor(n, 256), 256,
            new KernelArgs().Ptr(src).Ptr(idx).Ptr(dst).I32(count).I32(cols).I32(dstRows).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(3 * n + count));
    }

    /// <summary>
    /// IBackend.MomentumUpdateRows: bank[idx[i], :] ← normalise(m·bank[idx[i], :] + (1 − m)·features[i, :]) for
    /// i &lt; <paramref name="count"/> and idx[i] in [0, bankRows); with duplicate indices the largest i wins.
    /// A bad index is skipped and recorded in <paramref name="errors"/> (code 5).
    /// </summary>
    public void MomentumUpdateRows(DeviceBuffer bank, DeviceBuffer index, DeviceBuffer features, float momentum, int count, int cols,
                                   int bankRows = -1, DeviceBuffer? errors = null)
    {
        Need(index, count, nameof(index)); Need(features, (long)count * cols, nameof(features));
        bankRows = Rows(bank, cols, bankRows, nameof(bank));
        if (count > 0 && cols > 0) Launch("momentum_update_rows_forward_kernel", WarpPerRow.Grid(count), WarpPerRow.Threads,
            new KernelArgs().Ptr(bank).Ptr(index).Ptr(features).I32(count).I32(cols).I32(bankRows).F32(momentum).Ptr(IndexErrors.Pointer(errors)),
            LaunchCost.Elements(3L * count * cols + count));
    }

    /// <summary>The addressed row count: given, or what the buffer holds; checked against the buffer.</summary>
    private static int Rows(DeviceBuffer b, int cols, int rows, string name)
    {
        if (rows < 0) return cols == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, b.Bytes / sizeof(float) / cols);
        Need(b, (long)rows * cols, name);
        return rows;
    }
}
