using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launcher of kernels-cu/sinkhorn.cu: SwAV's Sinkhorn-Knopp codes in the log domain, 2T + 1
/// launches for T iterations (the .cu header explains the passes). Partials: one 512-thread block
/// per slab of <see cref="SlabRows"/> samples. Prototype merge: 32×8 blocks, one per 32 prototypes.
/// Codes: a warp per sample, 8 per block. The caller passes the scratch buffer
/// (<see cref="ScratchBytes"/>: u [K], then the slab partials' maxima and sums [slabs·K] each); it is
/// written before it is read, and may be returned to a pool as soon as the call returns (launches are
/// stream-ordered). Nothing waits for the host.
/// </summary>
public sealed class SinkhornKernels(IKernelDriver driver) : KernelFamily(driver, "sinkhorn")
{
    /// <summary>Threads of a slab block (16 warps: one sample row each in the sample step when R = 16).</summary>
    public const int SlabThreads = 512;

    /// <summary>The kernel's shared array of v holds this many rows (NC_SK_MAX_SLAB_ROWS).</summary>
    public const int MaxSlabRows = 32;

    /// <summary>Slabs the automatic choice aims at: ~2 blocks per SM of an H100/H200 (132 SMs).</summary>
    public const int TargetSlabs = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sinkhorn_forward_partials_kernel"] = new(SlabThreads),
        ["sinkhorn_forward_prototypes_kernel"] = new(32 * 8),
        ["sinkhorn_forward_codes_kernel"] = new(WarpPerRow.Threads),
    };

    /// <summary>
    /// Samples per slab: ⌈B / 256⌉ clamped to [1, 32] (16 at B = 4096). Fewer rows per slab means more
    /// blocks but more partials (slabs·K·8 bytes written and read per iteration: 2/R of the matrix).
    /// </summary>
    public static int SlabRows(int rows) => Math.Clamp((rows + TargetSlabs - 1) / TargetSlabs, 1, MaxSlabRows);

    /// <summary>Bytes of scratch <see cref="SinkhornCodes"/> needs: 4·(K + 2·slabs·K).</summary>
    public static long ScratchBytes(int rows, int cols, int? slabRows = null)
    {
        int r = slabRows ?? SlabRows(rows);
        long slabs = (rows + r - 1) / r;
        return 4L * (cols + 2L * slabs * cols);
    }

    /// <summary>
    /// codes [B, K] ← SwAV's Sinkhorn-Knopp codes of scores [B, K] (B = rows, K = cols) with ε and T =
    /// <paramref name="iterations"/>: codes_b· = softmax_k((s_bk − s_0k)/ε + u_k), u from T prototype steps
    /// (see IBackend.SinkhornCodes for the specification). codes must not overlap scores.
    /// <paramref name="slabRows"/> forces the samples per slab (tests); null chooses <see cref="SlabRows"/>.
    /// </summary>
    public void SinkhornCodes(DeviceBuffer scores, DeviceBuffer codes, int rows, int cols, float epsilon, int iterations, DeviceBuffer scratch,
                              int? slabRows = null)
    {
        Validate(rows, cols, epsilon, iterations);
        int r = slabRows ?? SlabRows(rows);
        if (r < 1 || r > MaxSlabRows) throw new ArgumentOutOfRangeException(nameof(slabRows), $"slabRows must be in [1, {MaxSlabRows}], got {r}.");
        long n = (long)rows * cols;
        Need(scores, n, nameof(scores)); Need(codes, n, nameof(codes));
        if (scratch.Bytes < ScratchBytes(rows, cols, r))
            throw new ArgumentException($"scratch: needs {ScratchBytes(rows, cols, r)} bytes, the buffer holds {scratch.Bytes}.", nameof(scratch));
        if (scores.Ptr == codes.Ptr) throw new ArgumentException("codes must not be the scores buffer (row 0 is every row's reference).", nameof(codes));

        int slabs = (rows + r - 1) / r;
        float invEps = 1f / epsilon, logRows = (float)Math.Log(rows), logCols = (float)Math.Log(cols);
        long partials = 2L * slabs * cols;
        // Per log-sum-exp term: the exponent (s − s₀, ×1/ε, + u or v) and the online fold (max, exp, add).
        const double FlopsPerTerm = 6;
        for (int it = 0; it < iterations; it++)
        {
            bool sampleStep = it > 0;
            Launch("sinkhorn_forward_partials_kernel", (uint)slabs, SlabThreads,
                new KernelArgs().Ptr(scores).Ptr(scratch).I32(rows).I32(cols).I32(r).I32(sampleStep ? 1 : 0).F32(invEps).F32(logRows),
                LaunchCost.Elements(n + partials + (sampleStep ? 2L : 1L) * cols, (sampleStep ? 2 : 1) * FlopsPerTerm * n));
            Launch("sinkhorn_forward_prototypes_kernel", (uint)((cols + 31) / 32), new Dim3(32, 8),
                new KernelArgs().Ptr(scratch).I32(cols).I32(slabs).F32(logCols),
                LaunchCost.Elements(partials + cols, 4.0 * partials / 2));
        }
        Launch("sinkhorn_forward_codes_kernel", WarpPerRow.Grid(rows), WarpPerRow.Threads,
            new KernelArgs().Ptr(scores).Ptr(scratch).Ptr(codes).I32(rows).I32(cols).F32(invEps),
            LaunchCost.Elements(2 * n + 2L * cols, (FlopsPerTerm + 5) * n));
    }

    /// <summary>rows ≥ 1, cols ≥ 1, ε &gt; 0 with 1/ε finite, iterations ≥ 1; otherwise ArgumentOutOfRangeException naming the argument.</summary>
    public static void Validate(int rows, int cols, float epsilon, int iterations)
    {
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"Sinkhorn needs rows (samples) ≥ 1, got {rows}.");
        if (cols < 1) throw new ArgumentOutOfRangeException(nameof(cols), $"Sinkhorn needs cols (prototypes) ≥ 1, got {cols}.");
        if (!(epsilon > 0f) || !float.IsFinite(epsilon) || !float.IsFinite(1f / epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), $"Sinkhorn needs a finite ε > 0 with 1/ε finite, got {epsilon}.");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), $"Sinkhorn needs iterations ≥ 1, got {iterations}.");
    }
}
