using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launchers of kernels-cu/l2norm.cu (a warp per row).</summary>
public sealed class L2NormKernels(IKernelDriver driver) : KernelFamily(driver, "l2norm")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["l2_normalize_forward_kernel"] = new(WarpPerRow.Threads),
        ["l2_normalize_backward_kernel"] = new(WarpPerRow.Threads),
    };

    /// <summary>y = x / max(‖x‖, eps) per row; norms[r] = max(‖x_r‖, eps).</summary>
    public void Normalize(DeviceBuffer x, DeviceBuffer y, DeviceBuffer norms, int rows, int cols, float eps = 1e-12f)
    {
        Need(x, (long)rows * cols, nameof(x)); Need(y, (long)rows * cols, nameof(y)); Need(norms, rows, nameof(norms));
        if (rows > 0) Launch("l2_normalize_forward_kernel", WarpPerRow.Grid(rows), WarpPerRow.Threads,
            new KernelArgs().Ptr(x).Ptr(y).Ptr(norms).I32(rows).I32(cols).F32(eps), LaunchCost.Elements(2L * rows * cols + rows));
    }

    public void NormalizeBackward(DeviceBuffer y, DeviceBuffer norms, DeviceBuffer dy, DeviceBuffer dx, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(y, n, nameof(y)); Need(norms, rows, nameof(norms)); Need(dy, n, nameof(dy)); Need(dx, n, nameof(dx));
        if (rows > 0) Launch("l2_normalize_backward_kernel", WarpPerRow.Grid(rows), WarpPerRow.Threads,
            new KernelArgs().Ptr(y).Ptr(norms).Ptr(dy).Ptr(dx).I32(rows).I32(cols), LaunchCost.Elements(3 * n + rows));
    }
}
