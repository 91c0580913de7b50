using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launch shape shared by the warp-per-row kernels: 8 warps (rows) per 256-thread block.</summary>
internal static class WarpPerRow
{
    public const int Threads = 256, RowsPerBlock = Threads / 32;

    public static uint Grid(int rows) => (uint)((rows + RowsPerBlock - 1) / RowsPerBlock);
}

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

/// <summary>
/// Launchers of kernels-cu/index.cu (gather / scatter-add: grid-stride over count·cols elements,
/// 256 threads; momentum update: a warp per index entry, 8 per block). An index
/// outside the addressed rows is skipped (gather writes 0) and reported into the optional error
/// buffer (<see cref="IndexErrors"/>); rows = -1 takes the row count from the buffer's size.
/// </summary>
public sealed class IndexKernels(IKernelDriver driver) : KernelFamily(driver, "index")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["gather_rows_forward_kernel"] = new(256),
        ["scatter_add_rows_forward_kernel"] = new(256),
        ["momentum_update_rows_forward_kernel"] = new(WarpPerRow.Threads),
    };

    /// <summary>dst[i, :] = src[idx[i], :] for idx[i] in [0, srcRows).</summary>
    public void GatherRows(DeviceBuffer src, DeviceBuffer idx, DeviceBuffer dst, int count, int cols, int srcRows = -1, DeviceBuffer? errors = null)
    {
        Need(idx, count, nameof(idx)); Need(dst, (long)count * cols, nameof(dst));
        srcRows = Rows(src, cols, srcRows, nameof(src));
        long n = (long)count * cols;
        if (n > 0) Launch("gather_rows_forward_kernel", GridFor(n, 256), 256,
            new KernelArgs().Ptr(src).Ptr(idx).Ptr(dst).I32(count).I32(cols).I32(srcRows).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(2 * n + count));
    }

    /// <summary>dst[idx[i], :] += src[i, :] for idx[i] in [0, dstRows) (atomic; repeated indices accumulate).</summary>
    public void ScatterAddRows(DeviceBuffer src, DeviceBuffer idx, DeviceBuffer dst, int count, int cols, int dstRows = -1, DeviceBuffer? errors = null)
    {
        Need(src, (long)count * cols, nameof(src)); Need(idx, count, nameof(idx));
        dstRows = Rows(dst, cols, dstRows, nameof(dst));
        long n = (long)count * cols;
        if (n > 0) Launch("scatter_add_rows_forward_kernel", GridFor(n, 256), 256,
            new KernelArgs().Ptr(src).Ptr(idx).Ptr(dst).I32(count).I32(cols).I32(dstRows).Ptr(IndexErrors.Pointer(errors)), LaunchCost.Elements(3 * n + count));
    }

    /// <summary>
    /// IBackend.MomentumUpdateRows: bank[idx[i], :] ← normalise(m·bank[idx[i], :] + (1 − m)·features[i, :]) for
    /// i &lt; <paramref name="count"/> and idx[i] in [0, bankRows); with duplicate indices the largest i wins.
    /// A bad index is skipped and recorded in <paramref name="errors"/> (code 5).
    /// </summary>
    public void MomentumUpdateRows(DeviceBuffer bank, DeviceBuffer index, DeviceBuffer features, float momentum, int count, int cols,
                                   int bankRows = -1, DeviceBuffer? errors = null)
    {
        Need(index, count, nameof(index)); Need(features, (long)count * cols, nameof(features));
        bankRows = Rows(bank, cols, bankRows, nameof(bank));
        if (count > 0 && cols > 0) Launch("momentum_update_rows_forward_kernel", WarpPerRow.Grid(count), WarpPerRow.Threads,
            new KernelArgs().Ptr(bank).Ptr(index).Ptr(features).I32(count).I32(cols).I32(bankRows).F32(momentum).Ptr(IndexErrors.Pointer(errors)),
            LaunchCost.Elements(3L * count * cols + count));
    }

    /// <summary>The addressed row count: given, or what the buffer holds; checked against the buffer.</summary>
    private static int Rows(DeviceBuffer b, int cols, int rows, string name)
    {
        if (rows < 0) return cols == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, b.Bytes / sizeof(float) / cols);
        Need(b, (long)rows * cols, name);
        return rows;
    }
}

/// <summary>
/// Launchers of kernels-cu/random.cu: one thread per Philox block (4 outputs), 256 threads
/// per block. Output i equals draw i of RandomStream(seed, stream).
/// </summary>
public sealed class RandomKernels(IKernelDriver driver) : KernelFamily(driver, "random")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "philox_forward_kernel", "uniform_forward_kernel", "normal_forward_kernel", "randint_forward_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(256));

    private static KernelArgs Key(KernelArgs a, ulong seed, ulong stream) =>
        a.U32((uint)seed).U32((uint)(seed >> 32)).U32((uint)stream).U32((uint)(stream >> 32));

    /// <summary>out[4b + j] = Philox4x32-10((first + b, stream), seed)[j] for b &lt; blocks.</summary>
    public void Philox(DeviceBuffer output, long blocks, ulong seed, ulong stream, ulong first = 0)
    {
        Need(output, blocks * 4, nameof(output));
        if (blocks > 0) Launch("philox_forward_kernel", GridFor(blocks, 256), 256, Key(new KernelArgs().Ptr(output).I64(blocks), seed, stream).U64(first), LaunchCost.Elements(4 * blocks));
    }

    public void Uniform(DeviceBuffer y, long n, ulong seed, ulong stream, float lo = 0f, float hi = 1f)
    {
        Need(y, n, nameof(y));
        if (n > 0) Launch("uniform_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).F32(lo).F32(hi), LaunchCost.Elements(n));
    }

    public void Normal(DeviceBuffer y, long n, ulong seed, ulong stream, float mean = 0f, float std = 1f)
    {
        Need(y, n, nameof(y));
        if (n > 0) Launch("normal_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).F32(mean).F32(std), LaunchCost.Elements(n));
    }

    /// <summary>y[i] ∈ [0, range) as RandomStream.NextInt(range).</summary>
    public void Integers(DeviceBuffer y, long n, ulong seed, ulong stream, int range)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(range);
        Need(y, n, nameof(y));
        if (n > 0) Launch("randint_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).I32(range), LaunchCost.Elements(n));
    }
}
