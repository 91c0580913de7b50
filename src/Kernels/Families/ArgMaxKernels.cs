using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/argmax.cu: per-row arg-max / arg-min, a warp per row (8 rows per
/// 256-thread block). Ties go to the lowest column, NaN ranks below every number.
/// </summary>
public sealed class ArgMaxKernels(IKernelDriver driver) : KernelFamily(driver, "argmax")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["argmax_rows_forward_kernel"] = new(WarpPerRow.Threads),
        ["argmin_rows_forward_kernel"] = new(WarpPerRow.Threads),
    };

    /// <summary>IBackend.ArgMaxRows: values[r] ← max_j x[r, j], indices[r] ← the first column holding it (int32). Requires cols ≥ 1.</summary>
    public void ArgMaxRows(DeviceBuffer x, int rows, int cols, DeviceBuffer values, DeviceBuffer indices) =>
        Rows("argmax_rows_forward_kernel", x, rows, cols, values, indices);

    /// <summary>IBackend.ArgMinRows: values[r] ← min_j x[r, j], indices[r] ← the first column holding it (int32). Requires cols ≥ 1.</summary>
    public void ArgMinRows(DeviceBuffer x, int rows, int cols, DeviceBuffer values, DeviceBuffer indices) =>
        Rows("argmin_rows_forward_kernel", x, rows, cols, values, indices);

    private void Rows(string kernel, DeviceBuffer x, int rows, int cols, DeviceBuffer values, DeviceBuffer indices)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"{kernel}: rows must be ≥ 0, got {rows}.");
        if (cols < 1) throw new ArgumentOutOfRangeException(nameof(cols), $"{kernel}: needs at least one column, got {cols}.");
        Need(x, (long)rows * cols, nameof(x)); Need(values, rows, nameof(values)); Need(indices, rows, nameof(indices));
        if (rows == 0) return;
        Launch(kernel, WarpPerRow.Grid(rows), WarpPerRow.Threads, new KernelArgs().Ptr(x).Ptr(values).Ptr(indices).I32(rows).I32(cols),
            LaunchCost.Elements((long)rows * cols + 2L * rows));
    }
}
