using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/reduction.cu. Whole-tensor sum: pass 1 with up to 256 blocks of
/// 256 threads writes partial sums to a scratch buffer, pass 2 (one block) adds them — fixed
/// order, so the result is deterministic. Row sums: 8 warps (rows) per 256-thread block.
/// Column sums: 32×8 blocks, one per 32 columns.
/// </summary>
public sealed class ReductionKernels(IKernelDriver driver) : KernelFamily(driver, "reduction")
{
    public const int Threads = 256, MaxPartials = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sum_forward_kernel"] = new(Threads),
        ["row_sum_forward_kernel"] = new(Threads),
        ["col_sum_forward_kernel"] = new(32 * 8),
    };

    /// <summary>result[0] = scale·Σ x (scale = 1/n gives the mean). n = 0 writes 0.</summary>
    public void Sum(DeviceBuffer x, long n, DeviceBuffer result, float scale = 1f)
    {
        Need(x, n, nameof(x)); Need(result, 1, nameof(result));
        uint blocks = GridFor(n, Threads, MaxPartials);
        using var partial = DeviceBuffer.Allocate<float>(Driver, blocks);
        Launch("sum_forward_kernel", blocks, Threads, new KernelArgs().Ptr(x).Ptr(partial).I64(n).F32(1f), LaunchCost.Elements(n + blocks));
        Launch("sum_forward_kernel", 1, Threads, new KernelArgs().Ptr(partial).Ptr(result).I64(blocks).F32(scale), LaunchCost.Elements(blocks + 1));
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
}
