using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods.Nnclr;

/// <summary>
/// NNCLR's support set Q (Dwibedi et al. 2021, §3; the Keras example's feature_queue): the last
/// <see cref="Size"/> L2-normalised projections of view 0, [Q, D] on the backend, with the class
/// of each row's sample (−1: unknown, e.g. the initial rows) for the neighbour-label metric.
/// Initialised as the example does: standard normal rows, L2-normalised, drawn from Philox
/// stream (seed, BankInit, 1) — NPID's bank init is (seed, BankInit, 0) — so a seed gives the same
/// support set on every device. A FIFO kept as a ring: each <see cref="Push"/> overwrites the oldest
/// B rows from <see cref="Next"/> on (wrapping); the example shifts the whole queue instead, which
/// holds the same rows in another order (the order only matters for exact ties of the arg-max).
/// State: "nnclr_queue", "nnclr_queue_labels" (float, exact for class indices) and <see cref="Next"/>.
/// Nothing here ever requires a gradient.
/// </summary>
public sealed class SupportSet : IDisposable
{
    public SupportSet(IBackend backend, int size, int dim)
    {
        if (size < 1 || dim < 1) throw new ArgumentOutOfRangeException(nameof(size), $"SupportSet: size and dim must be ≥ 1, got {size}×{dim}.");
        using var _ = TensorScope.Suspend();
        Rows = Tensor.Zeros(backend, size, dim);
        Rows.Name = "nnclr_queue";
        Labels = Tensor.Full(backend, -1f, size);
        Labels.Name = "nnclr_queue_labels";
    }

    /// <summary>[Q, D] unit rows (live: load by copying into it).</summary>
    public Tensor Rows { get; }

    /// <summary>[Q] the class of each row's sample as a float, −1 when unknown.</summary>
    public Tensor Labels { get; }

    public int Size => Rows.Dim(0);

    public int Dim => Rows.Dim(1);

    /// <summary>The row the next push starts at.</summary>
    public int Next { get; private set; }

    /// <summary>Rows ← normalise(N(0, 1) draws from (seed, BankInit, 1)); labels −1; <see cref="Next"/> = 0.</summary>
    public void InitializeRandom(ulong seed)
    {
        int n = Size, d = Dim;
        var rng = new RandomStream(seed, StreamId.Of(StreamId.BankInit, 1));
        var host = new float[(long)n * d];
        for (long i = 0; i < host.LongLength; i++) host[i] = rng.NextGaussian();
        using var scope = TensorScope.Begin();
        var raw = Tensor.FromArray(Rows.Backend, host, n, d);
        Rows.Backend.L2NormalizeRows(raw, Rows, Tensor.Empty(Rows.Backend, n), n, d, 1e-12f);
        Rows.Backend.Fill(Labels, -1f);
        Next = 0;
    }

    /// <summary>
    /// The row of the support set nearest to each row of <paramref name="unit"/> [M, D] (unit rows):
    /// arg-max_q ⟨unit_m, Q_q⟩ by a similarity GEMM and the top-1 of each row (ties: the lowest row).
    /// </summary>
    public IntTensor Nearest(Tensor unit)
    {
        RequireRows(unit, "Nearest");
        using var noGrad = Tape.NoGrad();
        int m = unit.Dim(0);
        var similarity = Ops.MatMul(unit, Rows, transB: true);
        var best = Tensor.Empty(unit.Backend, m, 1);
        var index = IntTensor.Empty(unit.Backend, m);
        unit.Backend.TopKRows(similarity, m, Size, 1, best, index);
        return index;
    }

    /// <summary>The rows Q[index[i]], [M, D] (no gradient).</summary>
    public Tensor Gather(IntTensor index)
    {
        using var noGrad = Tape.NoGrad();
        return Ops.GatherRows(Rows, index);
    }

    /// <summary>The labels of the rows Q[index[i]], [M] (−1 unknown).</summary>
    public Tensor GatherLabels(IntTensor index)
    {
        using var noGrad = Tape.NoGrad();
        return Ops.GatherRows(Labels.View(Size, 1), index).View(index.Shape[0]);
    }

    /// <summary>Writes the rows of <paramref name="unit"/> [B ≤ Q, D] and their labels over the oldest rows (from <see cref="Next"/>, wrapping), then advances.</summary>
    public void Push(Tensor unit, ReadOnlySpan<int> labels)
    {
        RequireRows(unit, "Push");
        int b = unit.Dim(0);
        if (b > Size) throw new ArgumentException($"SupportSet.Push: {b} rows do not fit a support set of {Size}.");
        if (labels.Length != b) throw new ArgumentException($"SupportSet.Push: {b} rows but {labels.Length} labels.");
        var backend = Rows.Backend;
        using var scope = TensorScope.Begin();
        var y = new float[b];
        for (int i = 0; i < b; i++) y[i] = labels[i] < 0 ? -1f : labels[i];
        var yt = Tensor.FromArray(backend, y, b);
        int first = Math.Min(b, Size - Next), rest = b - first;
        backend.CopyBlocks(unit, 0, 0, Rows, (long)Next * Dim, 0, (long)first * Dim, 1);
        backend.CopyBlocks(yt, 0, 0, Labels, Next, 0, first, 1);
        if (rest > 0)
        {
            backend.CopyBlocks(unit, (long)first * Dim, 0, Rows, 0, 0, (long)rest * Dim, 1);
            backend.CopyBlocks(yt, first, 0, Labels, 0, 0, rest, 1);
        }
        Next = (Next + b) % Size;
    }

    /// <summary>Restores <see cref="Next"/> from a checkpoint.</summary>
    public void Restore(int next)
    {
        if (next < 0 || next >= Size) throw new ArgumentOutOfRangeException(nameof(next), $"SupportSet: next row {next} outside [0, {Size}).");
        Next = next;
    }

    private void RequireRows(Tensor unit, string what)
    {
        if (unit.Rank != 2 || unit.Dim(1) != Dim)
            throw new ArgumentException($"SupportSet.{what}: expected [M, {Dim}] rows, got {ShapeUtil.Format(unit.Shape)}.");
    }

    public void Dispose()
    {
        Rows.Dispose();
        Labels.Dispose();
    }
}
