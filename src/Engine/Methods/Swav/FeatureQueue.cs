using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods.Swav;

/// <summary>
/// SwAV's feature queue (Caron et al. 2020, §4.1 "small batches"): per full-size view, the last
/// <see cref="Length"/> normalised projections z of earlier steps, [Length, D] on the backend,
/// whose prototype scores join the batch's before Sinkhorn-Knopp so that the equal-partition
/// constraint spreads over Length + B samples instead of B. Kept as a ring: each push overwrites
/// the oldest batch-sized block ([Next, Next + B)); the official code shifts a FIFO instead —
/// Sinkhorn-Knopp is permutation-equivariant over samples, so the codes are the same up to float
/// summation order. Zero-initialised; <see cref="IsFull"/> once Length rows have been pushed,
/// which is when the codes start to use it. Checkpointed: the tensors ("swav_queue.&lt;view&gt;")
/// and the two counters (<see cref="Next"/>, <see cref="Filled"/>).
/// </summary>
public sealed class FeatureQueue : IDisposable
{
    private readonly Tensor[] rows;

    /// <param name="length">Rows per view; must be a positive multiple of <paramref name="batchSize"/>.</param>
    public FeatureQueue(IBackend backend, int views, int length, int batchSize, int dim)
    {
        if (views < 1 || dim < 1 || batchSize < 1 || length < batchSize || length % batchSize != 0)
            throw new ArgumentException($"FeatureQueue: {views} views of {length} rows × {dim} must hold whole batches of {batchSize}.");
        Length = length;
        BatchSize = batchSize;
        Dim = dim;
        using var _ = TensorScope.Suspend();
        rows = Enumerable.Range(0, views).Select(_ => Tensor.Zeros(backend, length, dim)).ToArray();
    }

    public int Length { get; }
    public int BatchSize { get; }
    public int Dim { get; }

    /// <summary>The first row the next push writes.</summary>
    public int Next { get; private set; }

    /// <summary>Rows written so far, at most <see cref="Length"/>.</summary>
    public int Filled { get; private set; }

    public bool IsFull => Filled == Length;

    /// <summary>[Length, D] rows of view <paramref name="view"/> (live: do not dispose).</summary>
    public Tensor Rows(int view) => rows[view];

    public int Views => rows.Length;

    /// <summary>Writes <paramref name="z"/>[view] ([B, D], B = the batch size) over the oldest block of each view, then advances.</summary>
    public void Push(IReadOnlyList<Tensor> z)
    {
        if (z.Count != rows.Length) throw new ArgumentException($"FeatureQueue: expected {rows.Length} views to push, got {z.Count}.");
        for (int v = 0; v < rows.Length; v++)
        {
            if (z[v].Rank != 2 || z[v].Dim(0) != BatchSize || z[v].Dim(1) != Dim)
                throw new ArgumentException($"FeatureQueue: expected [{BatchSize}, {Dim}] rows, got {ShapeUtil.Format(z[v].Shape)}.");
            long n = (long)BatchSize * Dim;
            rows[v].Backend.CopyBlocks(z[v], 0, n, rows[v], (long)Next * Dim, n, n, 1);
        }
        Next = (Next + BatchSize) % Length;
        Filled = Math.Min(Length, Filled + BatchSize);
    }

    /// <summary>Restores the counters of a checkpoint; throws ArgumentException for values that do not fit this queue.</summary>
    public void Restore(int next, int filled)
    {
        if (next < 0 || next >= Length || next % BatchSize != 0 || filled < 0 || filled > Length || filled % BatchSize != 0)
            throw new ArgumentException($"FeatureQueue: counters next={next}, filled={filled} do not fit a queue of {Length} rows in blocks of {BatchSize}.");
        Next = next;
        Filled = filled;
    }

    public void Dispose()
    {
        foreach (var t in rows) t.Dispose();
    }
}
