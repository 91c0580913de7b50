using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/softmax.cu (row kernels: a warp per row; diagonal mask and picks:
/// grid-stride, 256 threads). Kernels that take indices report a bad one into an optional
/// 4-int error buffer (see <see cref="IndexErrors"/>).
/// </summary>
public sealed class SoftmaxKernels(IKernelDriver driver) : KernelFamily(driver, "softmax")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "log_softmax_forward_kernel", "log_softmax_backward_kernel", "cross_entropy_forward_kernel", "cross_entropy_backward_kernel",
        "mask_diagonal_forward_kernel", "mask_diagonal_backward_kernel", "pick_per_row_forward_kernel", "pick_per_row_backward_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(WarpPerRow.Threads));

    private void Rows(string kernel, int rows, KernelArgs args, LaunchCost cost)
    {
        if (rows > 0) Launch(kernel, WarpPerRow.Grid(rows), WarpPerRow.Threads, args, cost);
    }

    public void LogSoftmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(y, (long)rows * cols, nameof(y));
        Rows("log_softmax_forward_kernel", rows, new KernelArgs().Ptr(x).Ptr(y).I32(rows).I32(cols), LaunchCost.Elements(2L * rows * cols));
    }

    public void LogSoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(y, n, nameof(y)); Need(dy, n, nameof(dy)); Need(dx, n, nameof(dx));
        Rows("log_softmax_backward_kernel", rows, new KernelArgs().Ptr(y).Ptr(dy).Ptr(dx).I32(rows).I32(cols), LaunchCost.Elements(3 * n));
    }

    /// <summary>loss[r] = −log softmax(x[r])[t_r]; t_r &lt; 0: ignored row (0). Targets must be &lt; cols.</summary>
    public void CrossEntropy(DeviceBuffer x, DeviceBuffer targets, DeviceBuffer loss, int rows, int cols)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(targets, rows, nameof(targets)); Need(loss, rows, nameof(loss));
        Rows("cross_entropy_forward_kernel", rows, new KernelArgs().Ptr(x).Ptr(targets).Ptr(loss).I32(rows).I32(cols), LaunchCost.Elements((long)rows * cols + 2L * rows));
    }

    /// <summary>dx[r, c] = dloss[r]·(softmax(x)[r, c] − [c = t_r]).</summary>
    public void CrossEntropyBackward(DeviceBuffer x, DeviceBuffer targets, DeviceBuffer dloss, DeviceBuffer dx, int rows, int cols)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(targets, rows, nameof(targets)); Need(dloss, rows, nameof(dloss));
        Need(dx, (long)rows * cols, nameof(dx));
        Rows("cross_entropy_backward_kernel", rows, new KernelArgs().Ptr(x).Ptr(targets).Ptr(dloss).Ptr(dx).I32(rows).I32(cols), LaunchCost.Elements(2L * rows * cols + 2L * rows));
    }

    public void MaskDiagonal(DeviceBuffer x, DeviceBuffer y, int rows, int cols, float value)
    {
        long n = (long)rows * cols;
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        if (n > 0) Launch("mask_diagonal_forward_kernel", GridFor(n, 256), 256, new KernelArgs().Ptr(x).Ptr(y).I32(rows).I32(cols).F32(value), LaunchCost.Elements(2 * n));
    }

    /// <summary>y[r] = x[r, idx[r]]; a column outside [0, cols) gives NaN and is reported into <paramref name="errors"/>.</summary>
    public void PickPerRow(DeviceBuffer x, DeviceBuffer idx, DeviceBuffer y, int rows, int cols, DeviceBuffer? errors = null)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(idx, rows, nameof(idx)); Need(y, rows, nameof(y));
        if (rows > 0) Launch("pick_per_row_forward_kernel", GridFor(rows, 256), 256,
            new KernelArgs().Ptr(x).Ptr(idx).Ptr(y).I32(rows).I32(cols).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(3L * rows));
    }

    /// <summary>dx[r, c] = (c = idx[r]) ? dy[r] : 0 (dx fully written).</summary>
    public void PickPerRowBackward(DeviceBuffer dy, DeviceBuffer idx, DeviceBuffer dx, int rows, int cols, DeviceBuffer? errors = null)
    {
        long n = (long)rows * cols;
        Need(dy, rows, nameof(dy)); Need(idx, rows, nameof(idx)); Need(dx, n, nameof(dx));
        if (n > 0) Launch("pick_per_row_backward_kernel", GridFor(n, 256), 256,
            new KernelArgs().Ptr(dy).Ptr(idx).Ptr(dx).I32(rows).I32(cols).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(n + 2L * rows));
    }

    public void MaskDiagonalBackward(DeviceBuffer dy, DeviceBuffer dx, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(dy, n, nameof(dy)); Need(dx, n, nameof(dx));
        if (n > 0) Launch("mask_diagonal_backward_kernel", GridFor(n, 256), 256, new KernelArgs().Ptr(dy).Ptr(dx).I32(rows).I32(cols), LaunchCost.Elements(2 * n));
    }
}
