using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/conv.cu: convolution as implicit GEMM, a 64×128 output tile per
/// 256-thread block (grid x over the 128-wide columns, y over the 64-high rows).
/// Forward: rows = output channels, columns = output pixels N·P·Q. Backward data: rows = input
/// channels, columns = one stride phase's input pixels, grid z over the StrideH·StrideW phases, each
/// reducing over only the filter taps that reach it. Backward weight: rows = output channels, columns =
/// filter taps C·R·S, the N·P·Q reduction split over grid z into partial sums in the workspace,
/// added in a fixed order by a second kernel (deterministic); dbias by one block per channel.
/// The workspace grows only (no allocation per call in steady state); dispose the launcher to free it.
/// </summary>
public sealed class ConvKernels(IKernelDriver driver) : KernelFamily(driver, "conv"), IDisposable
{
    public const int Threads = 256, TileRows = 64, TileColumns = 128, SliceDepth = 16;

    /// <summary>Blocks the split of backward weight aims for (a few waves on a 132-SM H100 at 2 blocks per SM).</summary>
    public const int TargetBlocks = 1024;

    /// <summary>Fewest reduction rows (output pixels) a backward-weight split gets.</summary>
    public const int MinRowsPerSplit = 256;

    /// <summary>Largest partial-sum workspace backward weight may use, in floats (64 MiB).</summary>
    public const long MaxPartialFloats = 16L << 20;

    private readonly Workspace workspace = new(driver);

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["conv2d_forward_kernel"] = new(Threads),
        ["conv2d_backward_data_kernel"] = new(Threads),
        ["conv2d_backward_weight_kernel"] = new(Threads),
        ["conv2d_backward_weight_reduce_kernel"] = new(Threads),
        ["conv2d_reduce_bf16_kernel"] = new(Threads),
        ["conv2d_backward_bias_kernel"] = new(Threads),
    };

    private static KernelArgs Geometry(KernelArgs a, ConvShape g) =>
        a.I32(g.N).I32(g.C).I32(g.H).I32(g.W).I32(g.K).I32(g.R).I32(g.S).I32(g.StrideH).I32(g.StrideW).I32(g.PadH).I32(g.PadW).I32(g.P).I32(g.Q);

    /// <summary>Multiply-adds of each pass (forward, backward data, backward weight do as many), counted as two FLOPs.</summary>
    private static double Flops(ConvShape g) => 2.0 * g.N * g.K * g.P * g.Q * g.C * g.R * g.S;

    private static Dim3 TileGrid(long rows, long columns, int splits = 1)
    {
        long rowTiles = (rows + TileRows - 1) / TileRows;
        if (rowTiles > 65535) throw new ArgumentException($"Convolution: {rows} GEMM rows need {rowTiles} row tiles, more than the grid's y limit 65535.");
        return new((uint)((columns + TileColumns - 1) / TileColumns), (uint)rowTiles, (uint)splits);
    }

    /// <summary>y ← conv(x, w) (+ bias[K] when given). x [N,C,H,W], w [K,C,R,S], y [N,K,P,Q].</summary>
    public void Conv2dForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g)
    {
        g.Validate();
        Need(x, g.InputLength, nameof(x)); Need(w, g.WeightLength, nameof(w)); Need(y, g.OutputLength, nameof(y));
        if (bias is not null) Need(bias, g.K, nameof(bias));
        if (g.OutputLength == 0) return;
        Launch("conv2d_forward_kernel", TileGrid(g.K, (long)g.N * g.P * g.Q), Threads,
            Geometry(new KernelArgs().Ptr(x).Ptr(w).Ptr(bias?.Ptr ?? 0).Ptr(y), g), new LaunchCost(4 * (g.InputLength + g.WeightLength + g.OutputLength), Flops(g)));
    }

    /// <summary>dx ← ∂L/∂x given dy (dx overwritten). dy [N,K,P,Q], w [K,C,R,S], dx [N,C,H,W].</summary>
    public void Conv2dBackwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g)
    {
        g.Validate();
        Need(dy, g.OutputLength, nameof(dy)); Need(w, g.WeightLength, nameof(w)); Need(dx, g.InputLength, nameof(dx));
        if (g.InputLength == 0) return;
        // Grid z: the StrideH·StrideW phases; x covers the largest phase (⌈H/sh⌉·⌈W/sw⌉ pixels per image).
        if ((long)g.StrideH * g.StrideW > 65535) throw new ArgumentException($"Convolution: strides {g.StrideH}×{g.StrideW} give more stride phases than the grid's z limit 65535.");
        long phasePixels = (long)g.N * ((g.H + g.StrideH - 1) / g.StrideH) * ((g.W + g.StrideW - 1) / g.StrideW);
        Launch("conv2d_backward_data_kernel", TileGrid(g.C, phasePixels, g.StrideH * g.StrideW), Threads,
            Geometry(new KernelArgs().Ptr(dy).Ptr(w).Ptr(dx), g), new LaunchCost(4 * (g.InputLength + g.WeightLength + g.OutputLength), 2.0 * BackwardDataMacs(g)));
    }

    /// <summary>
    /// Multiply-adds backward data's schedule performs (padding and partial tiles aside): per
    /// stride phase (zh, zw), its pixels × C × K × its taps (r ≡ zh, s ≡ zw modulo the strides).
    /// </summary>
    public static long BackwardDataMacs(ConvShape g)
    {
        long macs = 0;
        for (int zh = 0; zh < g.StrideH; zh++)
        for (int zw = 0; zw < g.StrideW; zw++)
        {
            var (hp, rp) = Phase(zh, g.StrideH, g.PadH, g.H, g.R);
            var (wp, sp) = Phase(zw, g.StrideW, g.PadW, g.W, g.S);
            macs += (long)g.N * hp * wp * g.C * g.K * rp * sp;
        }
        return macs;
    }

    /// <summary>Multiply-adds of backward data as one GEMM over every filter tap: C × N·H·W × K·R·S.</summary>
    public static long NaiveBackwardDataMacs(ConvShape g) => (long)g.N * g.H * g.W * g.C * g.K * g.R * g.S;

    /// <summary>Pixels of a size-long axis in stride phase z ((h + pad) mod stride = z), and the filter taps that reach them (as conv.cu's nc_conv_phase).</summary>
    private static (int Count, int Taps) Phase(int z, int stride, int pad, int size, int taps)
    {
        int first = ((z - pad) % stride + stride) % stride;
        return (first < size ? (size - first + stride - 1) / stride : 0, z < taps ? (taps - z + stride - 1) / stride : 0);
    }

    /// <summary>dw ← ∂L/∂w; dbias ← Σ dy over N, P, Q when given (both overwritten). x [N,C,H,W], dy [N,K,P,Q], dw [K,C,R,S].</summary>
    public void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g) =>
        Conv2dBackwardWeight(x, dy, dw, dbias, g, BackwardWeightSplits(g));

    /// <summary>As the public overload with the number of reduction splits given (tests use it to exercise the split path on small shapes).</summary>
    internal void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, int splits)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splits);
        Need(x, g.InputLength, nameof(x)); Need(dy, g.OutputLength, nameof(dy)); Need(dw, g.WeightLength, nameof(dw));
        if (dbias is not null) Need(dbias, g.K, nameof(dbias));
        if (g.K == 0) return;
        if (dbias is not null)
            Launch("conv2d_backward_bias_kernel", (uint)g.K, Threads, new KernelArgs().Ptr(dy).Ptr(dbias).I32(g.N).I32(g.K).I32(g.P * g.Q), LaunchCost.Elements(g.OutputLength + g.K));
        if (g.WeightLength == 0) return;

        int rows = g.N * g.P * g.Q;
        // Each split's chunk is whole slices; recount the splits so that none is empty.
        int chunk = (int)Math.Max(SliceDepth, ((rows + (long)splits - 1) / splits + SliceDepth - 1) / SliceDepth * SliceDepth);
        splits = Math.Max(1, (rows + chunk - 1) / chunk);
        int len = (int)g.WeightLength;
        var target = splits == 1 ? dw : workspace.Get((long)splits * len * sizeof(float));
        Launch("conv2d_backward_weight_kernel", TileGrid(g.K, (long)g.C * g.R * g.S, splits), Threads,
            Geometry(new KernelArgs().Ptr(x).Ptr(dy).Ptr(target), g).I32(chunk), new LaunchCost(4 * (g.InputLength + g.OutputLength + (long)splits * len), Flops(g)));
        if (splits > 1) Reduce(Driver, target, dw, splits, len);
    }

    /// <summary>
    /// y ← bf16(conv(x, w) (+ bias[K])), y holding bf16 bits [N,K,P,Q] (a Bf16Tensor): the fp32
    /// convolution into the workspace, then rounded by conv2d_reduce_bf16_kernel.
    /// </summary>
    public void Conv2dForwardBf16Output(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g)
    {
        g.Validate();
        Need(y, g.OutputLength, nameof(y), elementSize: 2);
        if (g.OutputLength == 0) return;
        var fp32 = workspace.Get(g.OutputLength * sizeof(float));
        Conv2dForward(x, w, bias, fp32, g);
        ReduceToBf16(Driver, fp32, y, 1, g.OutputLength);
    }

    /// <summary>output[i] ← Σ_{z &lt; splits} partial[z·length + i], z ascending (conv2d_backward_weight_reduce_kernel; every split conv, this family's and conv_mma's).</summary>
    internal static void Reduce(IKernelDriver driver, DeviceBuffer partial, DeviceBuffer output, int splits, long length) =>
        driver.Launch(driver.Module("conv").Function("conv2d_backward_weight_reduce_kernel"), GridFor(length, Threads), Threads, 0,
            new KernelArgs().Ptr(partial).Ptr(output).I32(splits).I32((int)length), LaunchCost.Elements((splits + 1L) * length));

    /// <summary>
    /// output[i] ← bf16(Σ_{z &lt; splits} partial[z·length + i]), z ascending, output holding bf16 bits
    /// (conv2d_reduce_bf16_kernel): a split or an fp32/tf32 convolution's output stored as bf16.
    /// </summary>
    internal static void ReduceToBf16(IKernelDriver driver, DeviceBuffer partial, DeviceBuffer output, int splits, long length)
    {
        Need(partial, splits * length, nameof(partial));
        Need(output, length, nameof(output), elementSize: 2);
        if (length == 0) return;
        driver.Launch(driver.Module("conv").Function("conv2d_reduce_bf16_kernel"), GridFor(length, Threads), Threads, 0,
            new KernelArgs().Ptr(partial).Ptr(output).I32(splits).I32((int)length), new LaunchCost(4L * splits * length + 2L * length));
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
