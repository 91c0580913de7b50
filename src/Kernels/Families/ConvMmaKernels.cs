using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/conv_mma.cu: convolution as implicit GEMM on tensor cores for
/// <see cref="Precision.Tf32"/> and <see cref="Precision.Bf16"/> operands (fp32 accumulation), a
/// 64×64 output tile per 128-thread block (grid x over columns, y over rows), 16-deep reduction
/// slices. Backward weight splits its N·P·Q reduction over grid z into partial sums in the
/// workspace, added in a fixed order by conv.cu's conv2d_backward_weight_reduce_kernel
/// (deterministic, no atomics); dbias is conv.cu's conv2d_backward_bias_kernel. Needs compute
/// capability 8.0 (cuda) or the emulator; see <see cref="RequireTensorCores"/>.
/// </summary>
public sealed class ConvMmaKernels(IKernelDriver driver) : KernelFamily(driver, "conv_mma"), IDisposable
{
    public const int Threads = 128, TileRows = 64, TileColumns = 64, SliceDepth = 16;

    /// <summary>Blocks the split of backward weight aims for (a few waves on a 132-SM H100).</summary>
    public const int TargetBlocks = 1024;

    /// <summary>Fewest reduction rows (output pixels) a backward-weight split gets.</summary>
    public const int MinRowsPerSplit = 256;

    /// <summary>Largest partial-sum workspace backward weight may use, in floats (64 MiB).</summary>
    public const long MaxPartialFloats = 16L << 20;

    private readonly Workspace workspace = new(driver);

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["conv2d_forward_mma_tf32_kernel"] = new(Threads),
        ["conv2d_forward_mma_bf16_kernel"] = new(Threads),
        ["conv2d_backward_data_mma_tf32_kernel"] = new(Threads),
        ["conv2d_backward_data_mma_bf16_kernel"] = new(Threads),
        ["conv2d_backward_weight_mma_tf32_kernel"] = new(Threads),
        ["conv2d_backward_weight_mma_bf16_kernel"] = new(Threads),
    };

    /// <summary>
    /// Throws <see cref="NotSupportedException"/> when <paramref name="driver"/> cannot run the
    /// tensor-core kernels of precision <paramref name="p"/>: a cuda device below compute capability
    /// 8.0. The emulator runs them on any machine.
    /// </summary>
    public static void RequireTensorCores(IKernelDriver driver, Precision p)
    {
        if (driver is CudaDriver cuda) RequireTensorCores(cuda.Arch, p);
    }

    /// <summary>Throws <see cref="NotSupportedException"/> naming the precision and the capability when <paramref name="arch"/> is below 8.0.</summary>
    public static void RequireTensorCores(Compile.GpuArch arch, Precision p)
    {
        if (arch.Major < 8)
            throw new NotSupportedException(
                $"--precision {p.ToString().ToLowerInvariant()} needs tensor cores of compute capability 8.0 or later (mma.sync tf32/bf16); this device has {arch.Major}.{arch.Minor}. Use --precision fp32.");
    }

    private static string Suffix(Precision p) => p switch
    {
        Precision.Tf32 => "tf32",
        Precision.Bf16 => "bf16",
        _ => throw new ArgumentException($"ConvMmaKernels runs tf32 and bf16 operands, not {p} (fp32 is ConvKernels).", nameof(p)),
    };

    private static KernelArgs Geometry(KernelArgs a, ConvShape g) =>
        a.I32(g.N).I32(g.C).I32(g.H).I32(g.W).I32(g.K).I32(g.R).I32(g.S).I32(g.StrideH).I32(g.StrideW).I32(g.PadH).I32(g.PadW).I32(g.P).I32(g.Q);

    private static double Flops(ConvShape g) => 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S;

    private static Dim3 TileGrid(long rows, long columns, int splits = 1)
    {
        long rowTiles = (rows + TileRows - 1) / TileRows, columnTiles = (columns + TileColumns - 1) / TileColumns;
        if (rowTiles > 65535) throw new ArgumentException($"Convolution: {rows} GEMM rows need {rowTiles} row tiles, more than the grid's y limit 65535.");
        if (columnTiles > int.MaxValue) throw new ArgumentException($"Convolution: {columns} GEMM columns need too many column tiles.");
        return new((uint)columnTiles, (uint)rowTiles, (uint)splits);
    }

    private static void CheckLengths(ConvShape g)
    {
        g.Validate();
        if (g.InputLength > int.MaxValue || g.OutputLength > int.MaxValue || g.WeightLength > int.MaxValue)
            throw new ArgumentException("Convolution: the tensor-core kernels index with 32 bits; every tensor must have fewer than 2^31 elements.");
    }

    /// <summary>y ← conv(round(x), round(w)) (+ bias[K] when given). x [N,C,H,W], w [K,C,R,S], y [N,K,P,Q].</summary>
    public void Conv2dForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g, Precision p)
    {
        CheckLengths(g);
        Need(x, g.InputLength, nameof(x)); Need(w, g.WeightLength, nameof(w)); Need(y, g.OutputLength, nameof(y));
        if (bias is not null) Need(bias, g.K, nameof(bias));
        if (g.OutputLength == 0) return;
        int reduction = g.C * g.R * g.S;
        Launch($"conv2d_forward_mma_{Suffix(p)}_kernel", TileGrid(g.K, (long)g.N * g.P * g.Q), Threads,
            Geometry(new KernelArgs().Ptr(x).Ptr(w).Ptr(bias?.Ptr ?? 0).Ptr(y), g).I32(Math.Max(reduction, 1)),
            new LaunchCost(4 * (g.InputLength + g.WeightLength + g.OutputLength), Flops(g)));
    }

    /// <summary>dx ← ∂L/∂x at rounded operands (dx overwritten). dy [N,K,P,Q], w [K,C,R,S], dx [N,C,H,W].</summary>
    public void Conv2dBackwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p)
    {
        CheckLengths(g);
        Need(dy, g.OutputLength, nameof(dy)); Need(w, g.WeightLength, nameof(w)); Need(dx, g.InputLength, nameof(dx));
        if (g.InputLength == 0) return;
        int reduction = g.K * g.R * g.S;
        Launch($"conv2d_backward_data_mma_{Suffix(p)}_kernel", TileGrid(g.C, (long)g.N * g.H * g.W), Threads,
            Geometry(new KernelArgs().Ptr(dy).Ptr(w).Ptr(dx), g).I32(Math.Max(reduction, 1)),
            new LaunchCost(4 * (g.InputLength + g.WeightLength + g.OutputLength), Flops(g)));
    }

    /// <summary>dw ← ∂L/∂w at rounded operands; dbias ← Σ dy over N, P, Q (fp32) when given (both overwritten).</summary>
    public void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, Precision p) =>
        Conv2dBackwardWeight(x, dy, dw, dbias, g, p, BackwardWeightSplits(g));

    /// <summary>As the public overload with the number of reduction splits given (tests exercise the split path on small shapes).</summary>
    internal void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, Precision p, int splits)
    {
        CheckLengths(g);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splits);
        string kernel = $"conv2d_backward_weight_mma_{Suffix(p)}_kernel";
        Need(x, g.InputLength, nameof(x)); Need(dy, g.OutputLength, nameof(dy)); Need(dw, g.WeightLength, nameof(dw));
        if (dbias is not null) Need(dbias, g.K, nameof(dbias));
        if (g.K == 0) return;
        var conv = Driver.Module("conv");
        if (dbias is not null)
            Driver.Launch(conv.Function("conv2d_backward_bias_kernel"), (uint)g.K, ConvKernels.Threads, 0,
                new KernelArgs().Ptr(dy).Ptr(dbias).I32(g.N).I32(g.K).I32(g.P * g.Q), LaunchCost.Elements(g.OutputLength + g.K));
        if (g.WeightLength == 0) return;

        int rows = g.N * g.P * g.Q;
        // Each split's chunk is whole slices; recount the splits so that none is empty.
        int chunk = (int)Math.Max(SliceDepth, ((rows + (long)splits - 1) / splits + SliceDepth - 1) / SliceDepth * SliceDepth);
        splits = Math.Max(1, (rows + chunk - 1) / chunk);
        int len = (int)g.WeightLength;
        var target = splits == 1 ? dw : workspace.Get((long)splits * len * sizeof(float));
        Launch(kernel, TileGrid(g.K, (long)g.C * g.R * g.S, splits), Threads,
            Geometry(new KernelArgs().Ptr(x).Ptr(dy).Ptr(target), g).I32(chunk),
            new LaunchCost(4 * (g.InputLength + g.OutputLength + (long)splits * len), Flops(g)));
        if (splits > 1)
            Driver.Launch(conv.Function("conv2d_backward_weight_reduce_kernel"), GridFor(len, ConvKernels.Threads), ConvKernels.Threads, 0,
                new KernelArgs().Ptr(target).Ptr(dw).I32(splits).I32(len), LaunchCost.Elements((splits + 1L) * len));
    }

    /// <summary>
    /// How many ways backward weight splits its N·P·Q reduction: enough blocks to fill the device
    /// (<see cref="TargetBlocks"/>), at least <see cref="MinRowsPerSplit"/> rows each, and partial
    /// sums within <see cref="MaxPartialFloats"/>.
    /// </summary>
    public static int BackwardWeightSplits(ConvShape g)
    {
        long tiles = ((long)g.C * g.R * g.S + TileColumns - 1) / TileColumns * ((g.K + TileRows - 1) / TileRows);
        long rows = (long)g.N * g.P * g.Q;
        long splits = Math.Max(1, (TargetBlocks + tiles - 1) / Math.Max(tiles, 1));
        splits = Math.Min(splits, Math.Max(1, rows / MinRowsPerSplit));
        splits = Math.Min(splits, Math.Max(1, MaxPartialFloats / Math.Max(g.WeightLength, 1)));
        return (int)Math.Min(splits, 65535);
    }

    public void Dispose() => workspace.Dispose();
}
