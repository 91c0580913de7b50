using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/conv_mma.cu: convolution as implicit GEMM on tensor cores for
/// <see cref="Precision.Tf32"/> and <see cref="Precision.Bf16"/> operands (fp32 accumulation), a
/// TM×64 output tile per block of <see cref="Threads"/> (grid x over columns, y over rows), 16-deep
/// reduction slices; forward and backward data read both operands packed (the weight by
/// conv2d_pack_weight_*, the activation channels-last by conv2d_pack_channels_last_*); TM = 128 (the
/// "_m128" kernels) where the GEMM has at least 128 rows and no more row padding than 64-row tiles
/// would have (<see cref="TileRowsFor"/>), else 64. When the output has
/// too few tiles to fill the device (<see cref="Splits"/>: mostly
/// backward weight, whose reduction N·P·Q is long and output small) the reduction is split over
/// grid z into partial sums in the workspace, added in a fixed order by conv.cu's
/// conv2d_backward_weight_reduce_kernel (deterministic, no atomics); dbias is conv.cu's
/// conv2d_backward_bias_kernel. The workspace grows only; dispose the launcher to free it. Needs compute
/// capability 8.0 (cuda) or the emulator; see <see cref="RequireTensorCores"/>.
/// </summary>
public sealed class ConvMmaKernels(IKernelDriver driver) : KernelFamily(driver, "conv_mma"), IDisposable
{
    public const int TileColumns = 64, SliceDepth = 16;

    /// <summary>The two tile heights (threads per block: <see cref="Threads"/>).</summary>
    public const int ShortTileRows = 64, TallTileRows = 128;

    /// <summary>
    /// The tile height for a GEMM of <paramref name="rows"/> rows: 128 when there are at least 128
    /// and 128-row tiles pad no more rows than 64-row ones (128, 256, 512 channels: yes; 192: no),
    /// else 64. A tall tile feeds each gathered B element to twice the rows, so a thread gathers half
    /// as much per multiply-add.
    /// </summary>
    public static int TileRowsFor(long rows) =>
        rows >= TallTileRows && (rows + TallTileRows - 1) / TallTileRows * TallTileRows == (rows + ShortTileRows - 1) / ShortTileRows * ShortTileRows
            ? TallTileRows : ShortTileRows;

    /// <summary>
    /// Threads of a block: backward weight a warp per 32×32 of the tile (2·rows: its gathers want the
    /// threads), forward and backward data a warp per 64×32 (rows: their operands arrive packed, so
    /// fewer threads copy them as cheaply, and each warp issues twice the mma per slice's bookkeeping).
    /// </summary>
    internal static int Threads(string op, int tileRows) => op != "backward_weight" ? tileRows : 2 * tileRows;

    /// <summary>Blocks the split of backward weight aims for (a few waves on a 132-SM H100).</summary>
    public const int TargetBlocks = 1024;

    /// <summary>Fewest reduction indices a split gets.</summary>
    public const int MinRowsPerSplit = 256;

    /// <summary>Largest partial-sum workspace backward weight may use, in floats (64 MiB).</summary>
    public const long MaxPartialFloats = 16L << 20;

    private readonly Workspace workspace = new(driver);

    /// <summary>The packed weight of the current launch (its own buffer: a split launch needs the partial-sum workspace too).</summary>
    private readonly Workspace packed = new(driver);

    /// <summary>The current launch's B operand packed channels-last (forward: x; backward data: dy).</summary>
    private readonly Workspace channelsLast = new(driver);

    public const int PackThreads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } =
        (from op in new[] { "forward", "backward_data", "backward_weight" }
         from p in new[] { Precision.Tf32, Precision.Bf16 }
         from rows in new[] { ShortTileRows, TallTileRows }
         select (Name: KernelName(op, p, rows), Shape: new LaunchShape(Threads(op, rows))))
        .Concat(from rows in new[] { ShortTileRows, TallTileRows }
                select (Name: ForwardKernelName(Precision.Bf16, rows, yBf16: true), Shape: new LaunchShape(Threads("forward", rows))))
        .Concat(from rows in new[] { ShortTileRows, TallTileRows }
                from io in new[] { (X: true, Dy: false), (X: false, Dy: true), (X: true, Dy: true) }
                select (Name: BackwardWeightKernelName(Precision.Bf16, rows, io.X, io.Dy), Shape: new LaunchShape(Threads("backward_weight", rows))))
        .Concat(from p in new[] { Precision.Tf32, Precision.Bf16 } select (Name: PackKernelName(p), Shape: new LaunchShape(PackThreads)))
        .Concat(from k in new[] { (P: Precision.Tf32, Bf16: false), (P: Precision.Bf16, Bf16: false), (P: Precision.Bf16, Bf16: true) }
                select (Name: ChannelsLastKernelName(k.P, k.Bf16), Shape: new LaunchShape(PackThreads)))
        .ToDictionary(e => e.Name, e => e.Shape);

    /// <summary>conv2d_forward_mma_{tf32|bf16}[_m128][_out_bf16]_kernel: "_out_bf16" stores y as bf16 (bf16 precision only).</summary>
    private static string ForwardKernelName(Precision p, int tileRows, bool yBf16) =>
        KernelName("forward", p, tileRows).Replace("_kernel", yBf16 ? "_out_bf16_kernel" : "_kernel");

    /// <summary>conv2d_backward_weight_mma_{tf32|bf16}[_m128][_in_bf16][_dy_bf16]_kernel: x, dy stored in bf16 (bf16 precision only).</summary>
    private static string BackwardWeightKernelName(Precision p, int tileRows, bool xBf16, bool dyBf16) =>
        KernelName("backward_weight", p, tileRows).Replace("_kernel", (xBf16 ? "_in_bf16" : "") + (dyBf16 ? "_dy_bf16" : "") + "_kernel");

    /// <summary>conv2d_pack_weight_{tf32|bf16}_kernel.</summary>
    private static string PackKernelName(Precision p) => $"conv2d_pack_weight_{Suffix(p)}_kernel";

    /// <summary>conv2d_pack_channels_last_{tf32|bf16}[_in_bf16]_kernel: "_in_bf16" reads a tensor stored as bf16.</summary>
    private static string ChannelsLastKernelName(Precision p, bool inBf16) => $"conv2d_pack_channels_last_{Suffix(p)}{(inBf16 ? "_in_bf16" : "")}_kernel";

    /// <summary>Bytes per packed-weight element: bf16 bits at bf16, tf32-rounded fp32 at tf32.</summary>
    private static int PackedBytes(Precision p) => p == Precision.Bf16 ? 2 : 4;

    /// <summary>A reduction channel count rounded up to whole 16-deep slices (see <see cref="PackWeight"/>).</summary>
    public static int PaddedChannels(int channels) => (channels + SliceDepth - 1) / SliceDepth * SliceDepth;

    /// <summary>
    /// Packs w [K,C,R,S] into the A operand of forward (<paramref name="backwardData"/> false: rows k,
    /// wp[k, t·Cp + c] = round(w[k,c,r,s]) over every tap t = r·S + s) or of backward data (rows c, per
    /// stride phase f = r0·sw + s0 (<see cref="StridePhase"/>) wp_f[c, t·Kp + k] = round(w[k,c,r,s]) over
    /// the phase's taps t = a·Sc + b, r = r0 + a·sh, s = s0 + b·sw; phase f's rows start f stretches
    /// in, a stretch being C × phase 0's row length, the longest), Cp / Kp the channel count rounded up
    /// to 16 with zeros after the real channels: the reduction of both runs tap-major, 16 channels of
    /// one tap per slice, and a block copies its A tile 16 bytes at a time. Rounded once here (tf32:
    /// fp32 values rounded to tf32; bf16: bf16 bits) rather than in every tile; one launch for every
    /// phase. Returns the buffer (the launcher's <see cref="packed"/> workspace) and the longest row.
    /// </summary>
    private (DeviceBuffer Packed, int RowLength) PackWeight(DeviceBuffer w, ConvShape g, Precision p, bool backwardData)
    {
        var (rows, channels, rstep, sstep) = backwardData ? (g.C, g.K, g.StrideH, g.StrideW) : (g.K, g.C, 1, 1);
        int rowLength = CeilDiv(g.R, rstep) * CeilDiv(g.S, sstep) * PaddedChannels(channels);
        long length = (long)rstep * sstep * rows * rowLength;
        var wp = PackedBuffer(packed, length, p, "the packed weight");
        if (length > 0)
            Launch(PackKernelName(p), GridFor(length, PackThreads), PackThreads,
                new KernelArgs().Ptr(w).Ptr(wp).I32(g.K).I32(g.C).I32(g.R).I32(g.S).I32(backwardData ? 1 : 0).I32(rstep).I32(sstep),
                new LaunchCost(4 * g.WeightLength + PackedBytes(p) * length, 0));
        return (wp, rowLength);
    }

    /// <summary>
    /// Packs t [N, C, plane] (x for forward, dy for backward data; fp32, or bf16 bits when
    /// <paramref name="tBf16"/>) channels-last into the B operand of the tap-major ops:
    /// tp[(n·plane + u)·Cp + c] = round(t[n, c, u]), zeros for C ≤ c &lt; Cp (C rounded up to 16), so a
    /// slice's 16 channels of one tap are 16 consecutive elements of a pixel and a block copies its B
    /// tile 16 bytes at a time, as it copies A (conv_mma.cu's nc_mma_feed_packed). Rounded here once
    /// (tf32, or bf16 bits) rather than in every tile. Returns the buffer (<see cref="channelsLast"/>).
    /// </summary>
    internal DeviceBuffer PackChannelsLast(DeviceBuffer t, bool tBf16, int n, int channels, int plane, Precision p)
    {
        long length = (long)n * plane * PaddedChannels(channels);
        var tp = PackedBuffer(channelsLast, length, p, "the channels-last operand");
        if (length > 0)
            Launch(ChannelsLastKernelName(p, tBf16), GridFor(length / SliceDepth, PackThreads), PackThreads,
                new KernelArgs().Ptr(t).Ptr(tp).I32(n).I32(channels).I32(plane),
                new LaunchCost((tBf16 ? 2L : 4L) * n * channels * plane + PackedBytes(p) * length, 0));
        return tp;
    }

    /// <summary>
    /// A packed operand's buffer of <paramref name="length"/> elements at precision <paramref name="p"/>
    /// from <paramref name="ws"/>; throws naming <paramref name="what"/> past the kernels' 32-bit indexing.
    /// </summary>
    private static DeviceBuffer PackedBuffer(Workspace ws, long length, Precision p, string what)
    {
        if (length > int.MaxValue)
            throw new ArgumentException($"Convolution: {what} has {length} elements; the tensor-core kernels index with 32 bits (< 2^31).");
        return ws.Get(Math.Max(1, length) * PackedBytes(p));
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    /// <summary>
    /// One stride phase of backward data: the dx pixels (H0 + i·sh, W0 + j·sw), i &lt; Hc, j &lt; Wc,
    /// whose taps r ≡ h + pad (mod stride) are R0, R0 + sh, … (Rc of them; likewise Sc): the only taps
    /// that reach them (every other tap's (h + pad − r) / stride is not whole). Splitting backward data
    /// by phase visits each pixel's own taps only: at stride 2, ¼ of the work of visiting all. The
    /// kernels derive the phase of their blockIdx.z the same way (conv_mma.cu's nc_mma_phase); the
    /// host uses this for the grid, the split plan and the launch's cost.
    /// </summary>
    internal readonly record struct StridePhase(int H0, int W0, int Hc, int Wc, int R0, int S0, int Rc, int Sc)
    {
        /// <summary>The sh·sw phases of g with at least one pixel (stride 1: one phase, every pixel and tap).</summary>
        public static IEnumerable<StridePhase> Of(ConvShape g)
        {
            static (int First, int Count, int Tap0, int Taps) Axis(int size, int pad, int stride, int filter, int phase)
            {
                int first = ((phase - pad) % stride + stride) % stride;   // h ≡ phase − pad (mod stride)
                return (first, first < size ? (size - first + stride - 1) / stride : 0, phase, phase < filter ? (filter - phase + stride - 1) / stride : 0);
            }
            for (int ph = 0; ph < g.StrideH; ph++)
                for (int pw = 0; pw < g.StrideW; pw++)
                {
                    var (h0, hc, r0, rc) = Axis(g.H, g.PadH, g.StrideH, g.R, ph);
                    var (w0, wc, s0, sc) = Axis(g.W, g.PadW, g.StrideW, g.S, pw);
                    if (hc > 0 && wc > 0) yield return new StridePhase(h0, w0, hc, wc, r0, s0, rc, sc);
                }
        }
    }

    /// <summary>A tensor stored in bf16 is read only by the bf16 kernels (tf32 tiles are filled by cp.async, which cannot widen).</summary>
    private static void RequireBf16ForBf16Input(Precision p)
    {
        if (p != Precision.Bf16)
            throw new ArgumentException($"Convolution: an input stored in bf16 is read by the bf16 tensor-core kernels only, not at {p}.", nameof(p));
    }

    /// <summary>conv2d_{op}_mma_{tf32|bf16}[_m128]_kernel.</summary>
    private static string KernelName(string op, Precision p, int tileRows) =>
        $"conv2d_{op}_mma_{Suffix(p)}{(tileRows == TallTileRows ? "_m128" : "")}_kernel";

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

    private static Dim3 TileGrid(long rows, long columns, int z, int tileRows)
    {
        long rowTiles = (rows + tileRows - 1) / tileRows, columnTiles = (columns + TileColumns - 1) / TileColumns;
        if (rowTiles > 65535) throw new ArgumentException($"Convolution: {rows} GEMM rows need {rowTiles} row tiles, more than the grid's y limit 65535.");
        if (columnTiles > int.MaxValue) throw new ArgumentException($"Convolution: {columns} GEMM columns need too many column tiles.");
        return new((uint)columnTiles, (uint)rowTiles, (uint)z);
    }

    private static void CheckLengths(ConvShape g)
    {
        g.Validate();
        if (g.InputLength > int.MaxValue || g.OutputLength > int.MaxValue || g.WeightLength > int.MaxValue)
            throw new ArgumentException("Convolution: the tensor-core kernels index with 32 bits; every tensor must have fewer than 2^31 elements.");
    }

    /// <summary>y ← conv(round(x), round(w)) (+ bias[K] when given). x [N,C,H,W], w [K,C,R,S], y [N,K,P,Q].</summary>
    public void Conv2dForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g, Precision p) =>
        Forward(x, false, w, bias, y, false, g, p, ForwardSplits(g), TileRowsFor(g.K));

    /// <summary>As the public overload with the number of reduction splits and the tile height given (tests exercise both on small shapes).</summary>
    internal void Conv2dForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g, Precision p, int splits, int tileRows) =>
        Forward(x, false, w, bias, y, false, g, p, splits, tileRows);

    /// <summary>
    /// y ← bf16(conv(round(x), round(w)) (+ bias[K])), y holding bf16 bits [N,K,P,Q] (a Bf16Tensor): at
    /// <see cref="Precision.Bf16"/> with one split the epilogue stores bf16 itself
    /// (conv2d_forward_mma_bf16[_m128]_out_bf16_kernel); otherwise (tf32, or a split reduction) the fp32
    /// output goes to the workspace and conv.cu's conv2d_reduce_bf16_kernel adds and rounds it. Either way
    /// y is the bf16 rounding of what <see cref="Conv2dForward(DeviceBuffer, DeviceBuffer, DeviceBuffer?, DeviceBuffer, ConvShape, Precision)"/> writes.
    /// </summary>
    public void Conv2dForwardBf16Output(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g, Precision p) =>
        Forward(x, false, w, bias, y, true, g, p, ForwardSplits(g), TileRowsFor(g.K));

    /// <summary>As the public overload with the number of reduction splits and the tile height given.</summary>
    internal void Conv2dForwardBf16Output(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, ConvShape g, Precision p, int splits, int tileRows) =>
        Forward(x, false, w, bias, y, true, g, p, splits, tileRows);

    /// <summary>
    /// The forward with x stored as bf16 bits (a Bf16Tensor; <see cref="Precision.Bf16"/> only), y fp32
    /// (<paramref name="yBf16"/> false) or bf16 bits: exactly what the fp32-input launch writes for x
    /// widened to fp32 (the channels-last pack reads the bf16 bits: half the bytes).
    /// </summary>
    public void Conv2dForwardBf16Input(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, bool yBf16, ConvShape g, Precision p) =>
        Forward(x, true, w, bias, y, yBf16, g, p, ForwardSplits(g), TileRowsFor(g.K));

    /// <summary>As the public overload with the number of reduction splits and the tile height given.</summary>
    internal void Conv2dForwardBf16Input(DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, bool yBf16, ConvShape g, Precision p, int splits,
                                         int tileRows) =>
        Forward(x, true, w, bias, y, yBf16, g, p, splits, tileRows);

    private static int ForwardSplits(ConvShape g) => Splits(g.K, (long)g.N * g.P * g.Q, (long)g.R * g.S * PaddedChannels(g.C), g.OutputLength);

    /// <summary>
    /// The forward at any input and output type. A bf16 y with one split at bf16 is stored by the
    /// epilogue; otherwise the fp32 output goes to y (fp32) or to the workspace, which conv.cu's reduce
    /// kernels add in order (and round, for a bf16 y).
    /// </summary>
    private void Forward(DeviceBuffer x, bool xBf16, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, bool yBf16, ConvShape g, Precision p,
                         int splits, int tileRows)
    {
        CheckLengths(g);
        CheckTileRows(tileRows);
        if (xBf16) RequireBf16ForBf16Input(p);
        Need(x, g.InputLength, nameof(x), elementSize: xBf16 ? 2 : 4); Need(w, g.WeightLength, nameof(w));
        Need(y, g.OutputLength, nameof(y), elementSize: yBf16 ? 2 : 4);
        if (bias is not null) Need(bias, g.K, nameof(bias));
        if (g.OutputLength == 0) return;
        var (wp, reduction) = PackWeight(w, g, p, backwardData: false);
        var xp = PackChannelsLast(x, xBf16, g.N, g.C, g.H * g.W, p);
        var (chunk, n) = SplitPlan(reduction, splits);
        bool direct = n == 1 && (!yBf16 || p == Precision.Bf16);   // the kernel writes y itself
        var target = direct ? y : workspace.Get(n * g.OutputLength * sizeof(float));
        Launch(ForwardKernelName(p, tileRows, yBf16 && direct), TileGrid(g.K, (long)g.N * g.P * g.Q, n, tileRows), Threads("forward", tileRows),
            Geometry(new KernelArgs().Ptr(xp).Ptr(wp).Ptr(bias?.Ptr ?? 0).Ptr(target), g).I32(chunk),
            new LaunchCost((long)PackedBytes(p) * ((long)g.N * g.H * g.W * PaddedChannels(g.C) + (long)g.K * reduction) +
                           (direct && yBf16 ? 2 : 4 * n) * g.OutputLength, Flops(g), p));
        if (direct) return;
        if (yBf16) ConvKernels.ReduceToBf16(Driver, target, y, n, g.OutputLength);
        else ConvKernels.Reduce(Driver, target, y, n, g.OutputLength);
    }

    /// <summary>dx ← ∂L/∂x at rounded operands (dx overwritten). dy [N,K,P,Q], w [K,C,R,S], dx [N,C,H,W].</summary>
    public void Conv2dBackwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p) =>
        BackwardData(dy, false, w, dx, g, p, null, TileRowsFor(g.C));

    /// <summary>As the public overload with the number of reduction splits (per stride phase) and the tile height given.</summary>
    internal void Conv2dBackwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p, int splits, int tileRows) =>
        BackwardData(dy, false, w, dx, g, p, splits, tileRows);

    /// <summary>Backward data with dy stored as bf16 bits (<see cref="Precision.Bf16"/> only): what the fp32-dy launch writes for dy widened.</summary>
    public void Conv2dBackwardDataBf16Dy(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p) =>
        BackwardData(dy, true, w, dx, g, p, null, TileRowsFor(g.C));

    /// <summary>As the public overload with the number of reduction splits and the tile height given.</summary>
    internal void Conv2dBackwardDataBf16Dy(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p, int splits, int tileRows) =>
        BackwardData(dy, true, w, dx, g, p, splits, tileRows);

    /// <summary>
    /// Backward data: a weight pack, a channels-last pack of dy and one tile launch for every stride phase (<see cref="StridePhase"/>;
    /// grid z = split·sh·sw + phase, columns as the widest phase needs), the reduction split
    /// <paramref name="splits"/> ways (the longest phase's; a shorter one's last splits hold zeros), or
    /// as <see cref="Splits"/> finds for dx as a whole when null; split slots are whole dx tensors,
    /// added in order by conv.cu's reduce.
    /// </summary>
    private void BackwardData(DeviceBuffer dy, bool dyBf16, DeviceBuffer w, DeviceBuffer dx, ConvShape g, Precision p, int? splits, int tileRows)
    {
        CheckLengths(g);
        if (dyBf16) RequireBf16ForBf16Input(p);
        string kernel = KernelName("backward_data", p, CheckTileRows(tileRows));
        Need(dy, g.OutputLength, nameof(dy), elementSize: dyBf16 ? 2 : 4); Need(w, g.WeightLength, nameof(w)); Need(dx, g.InputLength, nameof(dx));
        if (g.InputLength == 0) return;
        var phases = StridePhase.Of(g).ToList();
        long widest = phases.Max(f => (long)g.N * f.Hc * f.Wc);
        var (wp, reduction) = PackWeight(w, g, p, backwardData: true);
        var dyp = PackChannelsLast(dy, dyBf16, g.N, g.K, g.P * g.Q, p);
        int phaseCount = g.StrideH * g.StrideW;   // grid z is split·phaseCount + phase, below the limit 65535
        if (phaseCount > 65535) throw new ArgumentException($"Convolution: strides {g.StrideH}x{g.StrideW} give {phaseCount} stride phases; the grid holds at most 65535.");
        var (chunk, n) = SplitPlan(reduction, Math.Min(splits ?? Splits(g.C, (long)g.N * g.H * g.W, reduction, g.InputLength), 65535 / phaseCount));
        var target = n == 1 ? dx : workspace.Get(n * g.InputLength * sizeof(float));
        double flops = phases.Sum(f => 2.0 * g.K * f.Rc * f.Sc * g.C * g.N * f.Hc * f.Wc);
        Launch(kernel, TileGrid(g.C, widest, n * phaseCount, tileRows), Threads("backward_data", tileRows),
            Geometry(new KernelArgs().Ptr(dyp).Ptr(wp).Ptr(target), g).I32(chunk),
            new LaunchCost((long)PackedBytes(p) * ((long)g.N * g.P * g.Q * PaddedChannels(g.K) + (long)phaseCount * g.C * reduction) + 4L * n * g.InputLength,
                flops, p));
        Reduce(target, dx, n, g.InputLength);
    }

    /// <summary>dw ← ∂L/∂w at rounded operands; dbias ← Σ dy over N, P, Q (fp32) when given (both overwritten).</summary>
    public void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, Precision p) =>
        BackwardWeight(x, false, dy, false, dw, dbias, g, p, BackwardWeightSplits(g), TileRowsFor(g.K));

    /// <summary>As the public overload with the number of reduction splits and the tile height given.</summary>
    internal void Conv2dBackwardWeight(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, Precision p, int splits,
                                       int tileRows) =>
        BackwardWeight(x, false, dy, false, dw, dbias, g, p, splits, tileRows);

    /// <summary>
    /// Backward weight with x and/or dy stored as bf16 bits (<see cref="Precision.Bf16"/> only): what the
    /// fp32 launch writes for them widened. dbias needs dy in fp32 (it is summed from dy as it is).
    /// </summary>
    public void Conv2dBackwardWeightBf16(DeviceBuffer x, bool xBf16, DeviceBuffer dy, bool dyBf16, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g,
                                         Precision p) =>
        BackwardWeight(x, xBf16, dy, dyBf16, dw, dbias, g, p, BackwardWeightSplits(g), TileRowsFor(g.K));

    /// <summary>As the public overload with the number of reduction splits and the tile height given.</summary>
    internal void Conv2dBackwardWeightBf16(DeviceBuffer x, bool xBf16, DeviceBuffer dy, bool dyBf16, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g,
                                           Precision p, int splits, int tileRows) =>
        BackwardWeight(x, xBf16, dy, dyBf16, dw, dbias, g, p, splits, tileRows);

    private void BackwardWeight(DeviceBuffer x, bool xBf16, DeviceBuffer dy, bool dyBf16, DeviceBuffer dw, DeviceBuffer? dbias, ConvShape g, Precision p,
                                int splits, int tileRows)
    {
        CheckLengths(g);
        if (xBf16 || dyBf16) RequireBf16ForBf16Input(p);
        if (dyBf16 && dbias is not null)
            throw new ArgumentException("Convolution: the bias gradient is summed from dy in fp32; with dy stored in bf16 pass no dbias.", nameof(dbias));
        string kernel = BackwardWeightKernelName(p, CheckTileRows(tileRows), xBf16, dyBf16);
        Need(x, g.InputLength, nameof(x), elementSize: xBf16 ? 2 : 4); Need(dy, g.OutputLength, nameof(dy), elementSize: dyBf16 ? 2 : 4);
        Need(dw, g.WeightLength, nameof(dw));
        if (dbias is not null) Need(dbias, g.K, nameof(dbias));
        if (g.K == 0) return;
        if (dbias is not null)
            Driver.Launch(Driver.Module("conv").Function("conv2d_backward_bias_kernel"), (uint)g.K, ConvKernels.Threads, 0,
                new KernelArgs().Ptr(dy).Ptr(dbias).I32(g.N).I32(g.K).I32(g.P * g.Q), LaunchCost.Elements(g.OutputLength + g.K));
        if (g.WeightLength == 0) return;
        var (target, chunk, n) = Plan(dw, g.WeightLength, g.N * g.P * g.Q, splits);
        Launch(kernel, TileGrid(g.K, (long)g.C * g.R * g.S, n, tileRows), Threads("backward_weight", tileRows),
            Geometry(new KernelArgs().Ptr(x).Ptr(dy).Ptr(target), g).I32(chunk),
            new LaunchCost((xBf16 ? 2 : 4) * g.InputLength + (dyBf16 ? 2 : 4) * g.OutputLength + 4 * n * g.WeightLength, Flops(g), p));
        Reduce(target, dw, n, g.WeightLength);
    }

    /// <summary>
    /// Where a launch with <paramref name="splits"/> reduction splits writes: the output itself for
    /// one split, else the workspace (slot z at z·<paramref name="outLength"/>). Each split's chunk is
    /// whole 16-deep slices; the count is recomputed so that none is empty.
    /// </summary>
    private (DeviceBuffer Target, int Chunk, int Splits) Plan(DeviceBuffer output, long outLength, int reduction, int splits)
    {
        var (chunk, n) = SplitPlan(reduction, splits);
        return (n == 1 ? output : workspace.Get(n * outLength * sizeof(float)), chunk, n);
    }

    /// <summary>The reduction indices per split (whole 16-deep slices) and the resulting split count, none empty.</summary>
    private static (int Chunk, int Splits) SplitPlan(int reduction, int splits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splits);
        int chunk = (int)Math.Max(SliceDepth, ((reduction + (long)splits - 1) / splits + SliceDepth - 1) / SliceDepth * SliceDepth);
        return (chunk, Math.Max(1, (reduction + chunk - 1) / chunk));
    }

    private static int CheckTileRows(int tileRows) => tileRows is ShortTileRows or TallTileRows
        ? tileRows : throw new ArgumentOutOfRangeException(nameof(tileRows), tileRows, $"Tile rows are {ShortTileRows} or {TallTileRows}.");

    /// <summary>output[i] = Σ_z slot z [i] in ascending z (conv.cu's reduce kernel); nothing for one split.</summary>
    private void Reduce(DeviceBuffer partial, DeviceBuffer output, int splits, long length)
    {
        if (splits > 1) ConvKernels.Reduce(Driver, partial, output, splits, length);
    }

    /// <summary>How many ways backward weight splits its N·P·Q reduction (see <see cref="Splits"/>).</summary>
    public static int BackwardWeightSplits(ConvShape g) => Splits(g.K, (long)g.C * g.R * g.S, (long)g.N * g.P * g.Q, g.WeightLength);

    /// <summary>
    /// Reduction splits of a [rows × columns] output over <paramref name="reduction"/>: enough blocks
    /// to fill the device (<see cref="TargetBlocks"/>), at least <see cref="MinRowsPerSplit"/>
    /// reduction indices each, and partial sums within <see cref="MaxPartialFloats"/>. One split
    /// whenever the output alone has enough tiles (the common forward and backward-data case).
    /// </summary>
    public static int Splits(long rows, long columns, long reduction, long outLength)
    {
        long tileRows = TileRowsFor(rows);
        long tiles = Math.Max(1, (columns + TileColumns - 1) / TileColumns * ((rows + tileRows - 1) / tileRows));
        long splits = Math.Max(1, (TargetBlocks + tiles - 1) / tiles);
        splits = Math.Min(splits, Math.Max(1, reduction / MinRowsPerSplit));
        splits = Math.Min(splits, Math.Max(1, MaxPartialFloats / Math.Max(outLength, 1)));
        return (int)Math.Min(splits, 65535);
    }

    public void Dispose()
    {
        workspace.Dispose();
        packed.Dispose();
        channelsLast.Dispose();
    }
}
