using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launchers of kernels-cu/optim.cu: 256 threads per block, grid-stride, at most 4096 blocks.</summary>
public sealed class OptimKernels(IKernelDriver driver) : KernelFamily(driver, "optim")
{
    public const int Threads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sgd_forward_kernel"] = new(Threads),
        ["sgd_momentum_forward_kernel"] = new(Threads),
        ["adam_forward_kernel"] = new(Threads),
        ["ema_update_forward_kernel"] = new(Threads),
        ["sgd_multi_forward_kernel"] = new(Threads),
        ["adam_multi_forward_kernel"] = new(Threads),
        ["ema_multi_forward_kernel"] = new(Threads),
        ["nonfinite_multi_count_forward_kernel"] = new(Threads),
        ["lars_multi_norms_forward_kernel"] = new(Threads),
        ["lars_multi_update_forward_kernel"] = new(Threads),
        ["lars_norms_forward_kernel"] = new(Threads),
        ["lars_update_forward_kernel"] = new(Threads),
    };

    /// <summary>In place, no momentum: w ← w − lr·(g + wd·w).</summary>
    public void Sgd(DeviceBuffer w, DeviceBuffer g, long n, float lr, float weightDecay)
    {
        Need(w, n, nameof(w)); Need(g, n, nameof(g));
        if (n > 0) Launch("sgd_forward_kernel", GridFor(n, Threads), Threads, new KernelArgs().Ptr(w).Ptr(g).I64(n).F32(lr).F32(weightDecay), LaunchCost.Elements(3 * n));
    }

    /// <summary>In place: d = g + wd·w; v ← μ·v + d; w ← w − lr·(nesterov ? d + μ·v : v).</summary>
    public void SgdMomentum(DeviceBuffer w, DeviceBuffer g, DeviceBuffer v, long n, float lr, float momentum, float weightDecay, bool nesterov = false)
    {
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(v, n, nameof(v));
        if (n > 0) Launch("sgd_momentum_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(v).I64(n).F32(lr).F32(momentum).F32(weightDecay).I32(nesterov ? 1 : 0), LaunchCost.Elements(5 * n));
    }

    /// <summary>
    /// In place Adam (L2 weight decay) or AdamW (<paramref name="decoupled"/>) step number
    /// <paramref name="step"/> (1-based; bias corrections from it, as the cpu backend computes them).
    /// </summary>
    public void Adam(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, long n, long step, float lr, float beta1, float beta2,
        float eps, float weightDecay, bool decoupled)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(m, n, nameof(m)); Need(v, n, nameof(v));
        float c1 = 1f - MathF.Pow(beta1, step), sqrtC2 = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        float l2 = decoupled ? 0f : weightDecay, shrink = decoupled ? 1f - lr * weightDecay : 1f;
        if (n > 0) Launch("adam_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(m).Ptr(v).I64(n).F32(beta1).F32(beta2).F32(eps).F32(l2).F32(shrink).F32(lr / c1).F32(1f / sqrtC2), LaunchCost.Elements(7 * n));
    }

    /// <summary>In place AdamW step number <paramref name="step"/> (1-based; bias corrections from it).</summary>
    public void AdamW(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, long n, int step, float lr, float beta1 = 0.9f,
        float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f) =>
        Adam(w, g, m, v, n, step, lr, beta1, beta2, eps, weightDecay, decoupled: true);

    /// <summary>In place exponential moving average: a ← d·a + (1 − d)·x over n elements.</summary>
    public void EmaUpdate(DeviceBuffer average, DeviceBuffer x, long n, float decay)
    {
        Need(average, n, nameof(average)); Need(x, n, nameof(x));
        if (n > 0) Launch("ema_update_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(average).Ptr(x).I64(n).F32(decay), LaunchCost.Elements(3 * n));
    }

    /// <summary>Blocks of LARS's norm pass at most; each leaves two double partial sums.</summary>
    public const int LarsNormBlocks = 128;

    /// <summary>Bytes of the scratch buffer <see cref="LarsUpdate"/> needs for the norms' partial sums.</summary>
    public const long LarsScratchBytes = LarsNormBlocks * 2 * sizeof(double);

    /// <summary>
    /// IBackend.LarsUpdate in place over n elements: d = g + wd·p; trust ratio r = η·‖p‖/‖d‖ when
    /// <paramref name="adapt"/> (1 when a norm is 0), else 1; λ = lr·r; v ← μ·v + λ·d; p ← p − (μ·v + λ·d)
    /// (Nesterov) or p ← p − v. The norms are reduced in double on the device into
    /// <paramref name="normScratch"/> (≥ <see cref="LarsScratchBytes"/>, owned and reused by the caller, contents
    /// irrelevant) and read back by the update kernel: two launches, no host synchronisation.
    /// </summary>
    public void LarsUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, DeviceBuffer normScratch, long n, float lr,
                           float momentum, float weightDecay, float trustCoefficient, bool adapt, bool nesterov)
    {
        Need(param, n, nameof(param)); Need(grad, n, nameof(grad)); Need(velocity, n, nameof(velocity));
        if (normScratch.Bytes < LarsScratchBytes)
            throw new ArgumentException($"LarsUpdate: the norm scratch needs {LarsScratchBytes} bytes, has {normScratch.Bytes}.", nameof(normScratch));
        if (n == 0) return;
        uint normBlocks = GridFor(n, Threads, LarsNormBlocks);
        if (adapt)
            Launch("lars_norms_forward_kernel", normBlocks, Threads, new KernelArgs().Ptr(param).Ptr(grad).Ptr(normScratch).I64(n).F32(weightDecay),
                LaunchCost.Elements(2 * n));
        Launch("lars_update_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(param).Ptr(grad).Ptr(velocity).Ptr(normScratch).I32(adapt ? (int)normBlocks : 0).I64(n).F32(lr)
                .F32(momentum).F32(weightDecay).F32(trustCoefficient).I32(adapt ? 1 : 0).I32(nesterov ? 1 : 0), LaunchCost.Elements(5 * n));
    }

    /// <summary>Elements one block of a multi-tensor kernel updates (one (tensor, chunk) per block).</summary>
    public const long MultiChunk = 4096;

    /// <summary>One tensor of a multi-tensor table: parameter, gradient, up to two state buffers (null: none) and the length.</summary>
    public readonly record struct MultiEntry(DeviceBuffer W, DeviceBuffer G, DeviceBuffer? S1, DeviceBuffer? S2, long N);

    /// <summary>
    /// A device-resident table for sgd_multi / adam_multi (layout in kernels-cu/optim.cu): 5 int64 per tensor
    /// (w, g, s1, s2, n) then the chunk prefix (T + 1 int64). Built and uploaded once; <see cref="Matches"/>
    /// tells whether it still describes the given buffers (so a caller can rebuild it if a tensor was reallocated).
    /// </summary>
    public sealed class MultiTable : IDisposable
    {
        private readonly ulong[] pointers;

        internal MultiTable(DeviceBuffer table, int tensors, long chunks, long elements, ulong[] pointers, long normBlocks, long normElements,
                            DeviceBuffer? normScratch)
        {
            Table = table; Tensors = tensors; Chunks = chunks; Elements = elements; this.pointers = pointers;
            NormBlocks = normBlocks; NormElements = normElements; NormScratch = normScratch;
        }

        public DeviceBuffer Table { get; }

        /// <summary>LARS: norm blocks over the adapted tensors, their elements, and the 2 doubles per block the norms go to (null when none).</summary>
        public long NormBlocks { get; }
        public long NormElements { get; }
        public DeviceBuffer? NormScratch { get; }
        public int Tensors { get; }
        public long Chunks { get; }
        public long Elements { get; }

        /// <summary>True when <paramref name="entries"/> name the same buffers and lengths this table was built from.</summary>
        public bool Matches(IReadOnlyList<MultiEntry> entries)
        {
            if (entries.Count != Tensors) return false;
            for (int t = 0; t < entries.Count; t++)
            {
                var e = entries[t];
                if (pointers[4 * t] != e.W.Ptr || pointers[4 * t + 1] != e.G.Ptr || pointers[4 * t + 2] != (e.S1?.Ptr ?? 0)
                    || pointers[4 * t + 3] != (e.S2?.Ptr ?? 0)) return false;
            }
            return true;
        }

        public void Dispose()
        {
            Table.Dispose();
            NormScratch?.Dispose();
        }
    }

    /// <summary>
    /// Builds and uploads the table of <paramref name="entries"/> (every buffer checked against its length), with
    /// LARS's per-tensor adapt flags (<paramref name="adapt"/>; null: none adapted) and norm-block prefix, and for
    /// LARS the norms' scratch.
    /// </summary>
    public MultiTable BuildMultiTable(IReadOnlyList<MultiEntry> entries, IReadOnlyList<bool>? adapt = null)
    {
        int count = entries.Count;
        if (adapt is not null && adapt.Count != count) throw new ArgumentException($"BuildMultiTable: {count} tensors, {adapt.Count} adapt flags.");
        var words = new long[5 * count + (count + 1) + (count + 1) + count];
        long normBlocks = 0, normElements = 0;
        var pointers = new ulong[4 * count];
        long chunks = 0, elements = 0;
        for (int t = 0; t < count; t++)
        {
            var e = entries[t];
            Need(e.W, e.N, $"w[{t}]"); Need(e.G, e.N, $"g[{t}]");
            if (e.S1 is not null) Need(e.S1, e.N, $"s1[{t}]");
            if (e.S2 is not null) Need(e.S2, e.N, $"s2[{t}]");
            words[5 * t] = (long)e.W.Ptr; words[5 * t + 1] = (long)e.G.Ptr;
            words[5 * t + 2] = (long)(e.S1?.Ptr ?? 0); words[5 * t + 3] = (long)(e.S2?.Ptr ?? 0); words[5 * t + 4] = e.N;
            pointers[4 * t] = e.W.Ptr; pointers[4 * t + 1] = e.G.Ptr; pointers[4 * t + 2] = e.S1?.Ptr ?? 0; pointers[4 * t + 3] = e.S2?.Ptr ?? 0;
            words[5 * count + t] = chunks;
            words[6 * count + 1 + t] = normBlocks;
            bool adapted = adapt is not null && adapt[t];
            words[7 * count + 2 + t] = adapted ? 1 : 0;
            if (adapted && e.N > 0)
            {
                normBlocks += GridFor(e.N, Threads, LarsNormBlocks);
                normElements += e.N;
            }
            chunks += (e.N + MultiChunk - 1) / MultiChunk;
            elements += e.N;
        }
        words[5 * count + count] = chunks;
        words[6 * count + 1 + count] = normBlocks;
        if (chunks > int.MaxValue) throw new ArgumentException($"BuildMultiTable: {chunks} chunks exceed one grid.");
        var table = DeviceBuffer.From<long>(Driver, words);
        var scratch = normBlocks > 0 ? DeviceBuffer.Allocate<double>(Driver, 2 * normBlocks) : null;
        return new MultiTable(table, count, chunks, elements, pointers, normBlocks, normElements, scratch);
    }

    /// <summary>
    /// <see cref="Sgd"/> (table entries without s1) and <see cref="SgdMomentum"/> (with s1) over every tensor of
    /// <paramref name="table"/> in one launch; bit-identical to the per-tensor launches.
    /// </summary>
    public void SgdMulti(MultiTable table, float lr, float momentum, float weightDecay, bool nesterov)
    {
        if (table.Chunks == 0) return;
        Launch("sgd_multi_forward_kernel", (uint)table.Chunks, Threads,
            new KernelArgs().Ptr(table.Table).I32(table.Tensors).I64(MultiChunk).F32(lr).F32(momentum).F32(weightDecay).I32(nesterov ? 1 : 0),
            LaunchCost.Elements(5 * table.Elements));
    }

    /// <summary>
    /// <see cref="Adam"/> over every tensor of <paramref name="table"/> (s1 = m, s2 = v), all at step
    /// <paramref name="step"/>, in one launch; the scalars are folded exactly as <see cref="Adam"/> folds them.
    /// </summary>
    public void AdamMulti(MultiTable table, long step, float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        float c1 = 1f - MathF.Pow(beta1, step), sqrtC2 = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        float l2 = decoupled ? 0f : weightDecay, shrink = decoupled ? 1f - lr * weightDecay : 1f;
        if (table.Chunks == 0) return;
        Launch("adam_multi_forward_kernel", (uint)table.Chunks, Threads,
            new KernelArgs().Ptr(table.Table).I32(table.Tensors).I64(MultiChunk).F32(beta1).F32(beta2).F32(eps).F32(l2).F32(shrink)
                .F32(lr / c1).F32(1f / sqrtC2), LaunchCost.Elements(7 * table.Elements));
    }

    /// <summary>
    /// <see cref="LarsUpdate"/> of every tensor of <paramref name="table"/> (s1 = velocity; adapt flags from the table,
    /// excluded tensors with weight decay 0, as Lars passes them) in two launches: the norms of all adapted tensors,
    /// then all updates. Bit-identical to the per-tensor launches (same blocks per tensor, same reduction order).
    /// </summary>
    public void LarsMulti(MultiTable table, float lr, float momentum, float weightDecay, float trustCoefficient, bool nesterov)
    {
        if (table.Chunks == 0) return;
        if (table.NormBlocks > 0)
            Launch("lars_multi_norms_forward_kernel", (uint)table.NormBlocks, Threads,
                new KernelArgs().Ptr(table.Table).I32(table.Tensors).Ptr(table.NormScratch!).F32(weightDecay), LaunchCost.Elements(2 * table.NormElements));
        Launch("lars_multi_update_forward_kernel", (uint)table.Chunks, Threads,
            new KernelArgs().Ptr(table.Table).I32(table.Tensors).I64(MultiChunk).Ptr(table.NormScratch?.Ptr ?? 0UL).F32(lr).F32(momentum)
                .F32(weightDecay).F32(trustCoefficient).I32(nesterov ? 1 : 0), LaunchCost.Elements(5 * table.Elements));
    }

    /// <summary>
    /// <see cref="EmaUpdate"/> of every tensor of the table in one launch: the table's w entries are the
    /// averages, its s1 entries the weights they move toward; bit-identical to the per-tensor kernel.
    /// </summary>
    public void EmaMulti(MultiTable table, float decay)
    {
        if (table.Chunks == 0) return;
        Launch("ema_multi_forward_kernel", (uint)table.Chunks, Threads,
            new KernelArgs().Ptr(table.Table).I32(table.Tensors).I64(MultiChunk).F32(decay), LaunchCost.Elements(3 * table.Elements));
    }

    /// <summary>
    /// count[<paramref name="slot"/>] += the number of non-finite values in the w of every tensor of <paramref name="table"/>,
    /// in one launch (integer atomics: the count does not depend on block order).
    /// </summary>
    public void NonFiniteMultiCount(MultiTable table, DeviceBuffer counts, int slot)
    {
        Need(counts, slot + 1L, nameof(counts));
        if (table.Chunks == 0) return;
        Launch("nonfinite_multi_count_forward_kernel", (uint)table.Chunks, Threads,
            new KernelArgs().Ptr(table.Table).I32(table.Tensors).I64(MultiChunk).Ptr(counts.Ptr + 4UL * (ulong)slot),
            LaunchCost.Elements(table.Elements));
    }
}
