using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/pool.cu. Max-pool: a thread per output element (forward) or per input
/// pixel (backward, a gather over the windows that contain it), grid-stride, 256 threads per block,
/// at most 4096 blocks. Global average pool: a warp per plane (8 per 256-thread block) forward, a
/// thread per element backward.
/// </summary>
public sealed class PoolKernels(IKernelDriver driver) : KernelFamily(driver, "pool")
{
    public const int Threads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["maxpool2d_forward_kernel"] = new(Threads),
        ["maxpool2d_backward_kernel"] = new(Threads),
        ["global_avg_pool_forward_kernel"] = new(WarpPerRow.Threads),
        ["global_avg_pool_backward_kernel"] = new(Threads),
    };

    private static KernelArgs Geometry(KernelArgs a, PoolShape g) =>
        a.I32(g.N * g.C).I32(g.H).I32(g.W).I32(g.P).I32(g.Q).I32(g.Kernel).I32(g.Stride).I32(g.Pad);

    /// <summary>y ← window max; argmax (int32) ← h·W + w of the winner within its image plane (first maximum in row-major window order).</summary>
    public void MaxPool2dForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer argmax, PoolShape g)
    {
        g.Validate();
        Need(x, g.InputLength, nameof(x)); Need(y, g.OutputLength, nameof(y)); Need(argmax, g.OutputLength, nameof(argmax));
        if (g.OutputLength > 0)
            Launch("maxpool2d_forward_kernel", GridFor(g.OutputLength, Threads), Threads, Geometry(new KernelArgs().Ptr(x).Ptr(y).Ptr(argmax), g),
                LaunchCost.Elements(g.InputLength + 2 * g.OutputLength));
    }

    /// <summary>dx ← 0, then dx[winner] += dy (overlapping windows accumulate) — computed as one gather per dx element.</summary>
    public void MaxPool2dBackward(DeviceBuffer dy, DeviceBuffer argmax, DeviceBuffer dx, PoolShape g)
    {
        g.Validate();
        Need(dy, g.OutputLength, nameof(dy)); Need(argmax, g.OutputLength, nameof(argmax)); Need(dx, g.InputLength, nameof(dx));
        if (g.InputLength > 0)
            Launch("maxpool2d_backward_kernel", GridFor(g.InputLength, Threads), Threads, Geometry(new KernelArgs().Ptr(dy).Ptr(argmax).Ptr(dx), g),
                LaunchCost.Elements(g.InputLength + 2 * g.OutputLength));
    }

    /// <summary>y[n,c] ← mean over the hw values of plane x[n,c].</summary>
    public void GlobalAvgPoolForward(DeviceBuffer x, DeviceBuffer y, int n, int c, int hw)
    {
        long planes = CheckPlanes(n, c, hw);
        Need(x, planes * hw, nameof(x)); Need(y, planes, nameof(y));
        if (planes > 0)
            Launch("global_avg_pool_forward_kernel", WarpPerRow.Grid((int)planes), WarpPerRow.Threads,
                new KernelArgs().Ptr(x).Ptr(y).I32((int)planes).I32(hw).F32(hw == 0 ? 0f : 1f / hw), LaunchCost.Elements(planes * hw + planes));
    }

    /// <summary>dx[n,c,:] ← dy[n,c] / hw.</summary>
    public void GlobalAvgPoolBackward(DeviceBuffer dy, DeviceBuffer dx, int n, int c, int hw)
    {
        long planes = CheckPlanes(n, c, hw);
        Need(dy, planes, nameof(dy)); Need(dx, planes * hw, nameof(dx));
        if (planes * hw > 0)
            Launch("global_avg_pool_backward_kernel", GridFor(planes * hw, Threads), Threads,
                new KernelArgs().Ptr(dy).Ptr(dx).I32((int)planes).I32(hw).F32(1f / hw), LaunchCost.Elements(planes * hw + planes));
    }

    private static long CheckPlanes(int n, int c, int hw)
    {
        if (n < 0 || c < 0 || hw < 0) throw new ArgumentException($"Global average pool: negative size n={n}, c={c}, hw={hw}.");
        long planes = (long)n * c;
        if (planes * Math.Max(hw, 1) > int.MaxValue) throw new ArgumentException($"Global average pool: n·c·hw = {planes * hw} ≥ 2³¹.");
        return planes;
    }
}
