using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Block size and dynamic shared memory a launcher uses for one kernel (for reports).</summary>
public readonly record struct LaunchShape(int Threads, int DynamicSharedBytes = 0);

/// <summary>
/// Base of the per-family launchers: each owns its kernels' launch configuration (and nothing
/// else does), checks arguments on the host, and launches through any <see cref="IKernelDriver"/>.
/// </summary>
public abstract class KernelFamily(IKernelDriver driver, string family)
{
    protected IKernelDriver Driver { get; } = driver;

    public string Family { get; } = family;

    protected void Launch(string kernel, Dim3 grid, Dim3 block, KernelArgs args, uint dynamicShared = 0) =>
        Launch(kernel, grid, block, args, LaunchCost.None, dynamicShared);

    /// <summary>
    /// A launch that declares what it moves and computes (<see cref="LaunchCost"/>): the profile
    /// (nc profile) turns it into GB/s and GFLOP/s. Pass it wherever the count is clear.
    /// </summary>
    protected void Launch(string kernel, Dim3 grid, Dim3 block, KernelArgs args, LaunchCost cost, uint dynamicShared = 0) =>
        Driver.Launch(Driver.Module(Family).Function(kernel), grid, block, dynamicShared, args, cost);

    /// <summary>Blocks for a grid-stride loop over n items at <paramref name="threads"/> per block, capped (the loop covers the rest).</summary>
    protected static uint GridFor(long n, int threads, int maxBlocks = 4096) => (uint)Math.Clamp((n + threads - 1) / threads, 1, maxBlocks);

    protected static void Need(DeviceBuffer b, long count, string name, int elementSize = 4)
    {
        if (b.Bytes < count * elementSize)
            throw new ArgumentException($"{name}: needs {count} elements, the buffer holds {b.Bytes / elementSize}.", name);
    }

    /// <summary>Every family's kernels with the shape its launcher uses, keyed by family name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, LaunchShape>> AllLaunchShapes { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, LaunchShape>>
        {
            ["elementwise"] = ElementwiseKernels.Shapes,
            ["reduction"] = ReductionKernels.Shapes,
            ["gemm"] = GemmKernels.Shapes,
            ["softmax"] = SoftmaxKernels.Shapes,
            ["l2norm"] = L2NormKernels.Shapes,
            ["index"] = IndexKernels.Shapes,
            ["random"] = RandomKernels.Shapes,
            ["optim"] = OptimKernels.Shapes,
            ["contrastive"] = ContrastiveKernels.Shapes,
            ["knn"] = KnnKernels.Shapes,
            ["conv"] = ConvKernels.Shapes,
            ["conv_mma"] = ConvMmaKernels.Shapes,
            ["batchnorm"] = BatchNormKernels.Shapes,
            ["pool"] = PoolKernels.Shapes,
            ["augment"] = AugmentKernels.Shapes,
            ["argmax"] = ArgMaxKernels.Shapes,
            ["sinkhorn"] = SinkhornKernels.Shapes,
        };
}
