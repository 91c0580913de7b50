using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/reduction.cu. Whole-tensor sum: pass 1 with up to 256 blocks of
/// 256 threads writes partial sums to a scratch buffer, pass 2 (one block) adds them — fixed
/// order, so the result is deterministic. Row sums: 8 warps (rows) per 256-thread block.
/// Column sums: 32×8 blocks, one per 32 columns. Broadcasts: grid-stride, 256 threads.
/// The two-pass sums take a scratch buffer of <see cref="MaxPartials"/> floats for the partial
/// sums (pass one of its own, or get a temporary one allocated per call).
/// </summary>
public sealed class ReductionKernels(IKernelDriver driver) : KernelFamily(driver, "reduction")
{
    public const int Threads = 256, MaxPartials = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sum_forward_kernel"] = new(Threads),
        ["row_sum_forward_kernel"] = new(Threads),
        ["col_sum_forward_kernel"] = new(32 * 8),
        ["sum_of_squares_forward_kernel"] = new(Threads),
        ["broadcast_column_forward_kernel"] = new(Threads),
        ["broadcast_row_forward_kernel"] = new(Threads),
    };

    /// <summary>result[0] = scale·Σ x (scale = 1/n gives the mean). n = 0 writes 0.</summary>
    public void Sum(DeviceBuffer x, long n, DeviceBuffer result, float scale = 1f)
    {
        using var partial = DeviceBuffer.Allocate<float>(Driver, GridFor(n, Threads, MaxPartials));
        Sum(x, n, result, partial, scale);
    }

    /// <summary>result[0] = scale·Σ x with the partial sums in <paramref name="scratch"/> (≥ <see cref="MaxPartials"/> floats, or the grid's count).</summary>
    public void Sum(DeviceBuffer x, long n, DeviceBuffer result, DeviceBuffer scratch, float scale = 1f) =>
        TwoPass("sum_forward_kernel", new KernelArgs().Ptr(x), x, n, result, scratch, scale, firstPassScale: true);

    /// <summary>result[0] = Σ x² (partials in <paramref name="scratch"/>, as <see cref="Sum(DeviceBuffer, long, DeviceBuffer, DeviceBuffer, float)"/>).</summary>
    public void SumOfSquares(DeviceBuffer x, long n, DeviceBuffer result, DeviceBuffer scratch) =>
        TwoPass("sum_of_squares_forward_kernel", new KernelArgs().Ptr(x), x, n, result, scratch, 1f, firstPassScale: false);

    /// <summary>Pass 1 (<paramref name="firstPass"/>: x, partials, n[, 1]) into scratch, pass 2 adds the partials into result.</summary>
    private void TwoPass(string firstPass, KernelArgs args, DeviceBuffer x, long n, DeviceBuffer result, DeviceBuffer scratch, float scale, bool firstPassScale)
    {
        Need(x, n, nameof(x)); Need(result, 1, nameof(result));
        uint blocks = GridFor(n, Threads, MaxPartials);
        Need(scratch, blocks, nameof(scratch));
        args.Ptr(scratch).I64(n);
        if (firstPassScale) args.F32(1f);
        Launch(firstPass, blocks, Threads, args, LaunchCost.Elements(n + blocks));
        Launch("sum_forward_kernel", 1, Threads, new KernelArgs().Ptr(scratch).Ptr(result).I64(blocks).F32(scale), LaunchCost.Elements(blocks + 1));
    }

    /// <summary>result[0] = mean of x (0 for n = 0).</summary>
    public void Mean(DeviceBuffer x, long n, DeviceBuffer result) => Sum(x, n, result, n == 0 ? 0f : 1f / n);

    /// <summary>y[r] = scale·Σ_c x[r, c].</summary>
    public void RowSums(DeviceBuffer x, DeviceBuffer y, int rows, int cols, float scale = 1f)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(y, rows, nameof(y));
        if (rows == 0) return;
        const int rowsPerBlock = Threads / 32;
        Launch("row_sum_forward_kernel", (uint)((rows + rowsPerBlock - 1) / rowsPerBlock), Threads,
            new KernelArgs().Ptr(x).Ptr(y).I32(rows).I32(cols).F32(scale), LaunchCost.Elements((long)rows * cols + rows));
    }

    /// <summary>y[c] = scale·Σ_r x[r, c].</summary>
    public void ColumnSums(DeviceBuffer x, DeviceBuffer y, int rows, int cols, float scale = 1f)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(y, cols, nameof(y));
        if (cols == 0) return;
        Launch("col_sum_forward_kernel", (uint)((cols + 31) / 32), new Dim3(32, 8),
            new KernelArgs().Ptr(x).Ptr(y).I32(rows).I32(cols).F32(scale), LaunchCost.Elements((long)rows * cols + cols));
    }

    /// <summary>y[r, c] = alpha·v[r] for a [rows, cols] y.</summary>
    public void BroadcastColumn(DeviceBuffer v, float alpha, DeviceBuffer y, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(v, rows, nameof(v)); Need(y, n, nameof(y));
        if (n > 0) Launch("broadcast_column_forward_kernel", GridFor(n, Threads), Threads, new KernelArgs().Ptr(v).F32(alpha).Ptr(y).I64(n).I32(cols), LaunchCost.Elements(n + rows));
    }

    /// <summary>y[r, c] = alpha·v[c] for a [rows, cols] y.</summary>
    public void BroadcastRow(DeviceBuffer v, float alpha, DeviceBuffer y, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(v, cols, nameof(v)); Need(y, n, nameof(y));
        if (n > 0) Launch("broadcast_row_forward_kernel", GridFor(n, Threads), Threads, new KernelArgs().Ptr(v).F32(alpha).Ptr(y).I64(n).I32(cols), LaunchCost.Elements(n + cols));
    }
}
