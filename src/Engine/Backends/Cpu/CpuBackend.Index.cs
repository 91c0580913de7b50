using System.Buffers;
using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Row indexing: gather, scatter-add and the NPID memory-bank update. Writes through an
/// index list can collide (the same destination row twice), so the parallel paths first
/// group the work by destination row (<see cref="SortByDestination"/>) and give each
/// group to exactly one thread. Within a group the source order is kept, which makes the
/// parallel result bit-identical to the sequential loop.
/// </summary>
public sealed partial class CpuBackend
{
    public void GatherRows(Tensor x, IntTensor index, Tensor y, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * index.Length * cols + index.Length));
        float[] X = Data(x), Y = Data(y);
        int[] I = Data(index);
        int count = (int)index.Length;
        RequireIndicesInRange("GatherRows", I, count, RowCount(x, cols));
        ParallelRows(count, cols, i => X.AsSpan(I[i] * cols, cols).CopyTo(Y.AsSpan(i * cols, cols)));
    }

    public void ScatterAddRows(Tensor x, IntTensor index, Tensor y, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * index.Length * cols + index.Length));
        float[] X = Data(x), Y = Data(y);
        int[] I = Data(index);
        int count = (int)index.Length;
        RequireIndicesInRange("ScatterAddRows", I, count, RowCount(y, cols));
        if ((long)count * cols < ParallelThreshold)
        {
            for (int i = 0; i < count; i++)
                TensorPrimitives.Add(Y.AsSpan(I[i] * cols, cols), X.AsSpan(i * cols, cols), Y.AsSpan(I[i] * cols, cols));
            return;
        }
        var order = SortByDestination(I, count);
        try
        {
            ForEachDestinationGroup(order, count, (long)count * cols, (start, end) =>
            {
                for (int k = start; k < end; k++)
                {
                    int i = (int)order[k], row = (int)(order[k] >> 32);
                    var dst = Y.AsSpan(row * cols, cols);
                    TensorPrimitives.Add(dst, X.AsSpan(i * cols, cols), dst);
                }
            });
        }
        finally
        {
            ArrayPool<long>.Shared.Return(order);
        }
    }

    /// <summary>
    /// NPID bank update (Wu et al. 2018, §3.2; lemniscate.pytorch's NCEFunction.backward):
    /// v = m·bank[j] + (1−m)·f[i] from the bank as it was before the call, then
    /// bank[j] = v / max(‖v‖₂, 1e-12). The eps only guards the degenerate v = 0 (the paper
    /// divides unguarded). With duplicate indices the largest i wins, as index_copy_ does.
    /// </summary>
    public void MomentumUpdateRows(Tensor bank, IntTensor index, Tensor features, float momentum, int cols)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * index.Length * cols + index.Length));
        float[] B = Data(bank), F = Data(features);
        int[] I = Data(index);
        int count = (int)index.Length;
        RequireIndicesInRange("MomentumUpdateRows", I, count, RowCount(bank, cols));
        var order = SortByDestination(I, count);
        try
        {
            ForEachDestinationGroup(order, count, (long)count * cols, (start, end) =>
            {
                // Only the last entry of each group is written, and it reads the bank row
                // before any write to it, so it sees the pre-call value.
                for (int k = start; k < end; k++)
                {
                    int row = (int)(order[k] >> 32);
                    if (k + 1 < end && (int)(order[k + 1] >> 32) == row) continue;
                    int i = (int)order[k];
                    var v = B.AsSpan(row * cols, cols);
                    TensorPrimitives.Multiply(v, momentum, v);
                    TensorPrimitives.MultiplyAdd(F.AsSpan(i * cols, cols), 1f - momentum, v, v);
                    float norm = MathF.Max(TensorPrimitives.Norm(v), 1e-12f);
                    TensorPrimitives.Divide(v, norm, v);
                }
            });
        }
        finally
        {
            ArrayPool<long>.Shared.Return(order);
        }
    }

    private static int RowCount(Tensor t, int cols) => cols == 0 ? int.MaxValue : (int)(t.Length / cols);

    /// <summary>
    /// Keys (destination row &lt;&lt; 32 | source position), sorted ascending: entries for one
    /// destination become a contiguous run in source order. The array is rented; the
    /// caller returns it.
    /// </summary>
    private static long[] SortByDestination(int[] index, int count)
    {
        var keys = ArrayPool<long>.Shared.Rent(count);
        for (int i = 0; i < count; i++) keys[i] = ((long)index[i] << 32) | (uint)i;
        Array.Sort(keys, 0, count);
        return keys;
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over disjoint ranges of the sorted keys,
    /// in parallel when the <paramref name="work"/> (elements touched) is large; no destination run is split between ranges, so
    /// no two threads write one row.
    /// </summary>
    private static void ForEachDestinationGroup(long[] sorted, int count, long work, Action<int, int> body)
    {
        int chunks = work < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount * 4, Math.Max(1, count / 16));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        // Chunk k covers [Boundary(k), Boundary(k+1)): nominal even splits moved forward to
        // the start of the next destination run.
        int Boundary(int k)
        {
            if (k >= chunks) return count;
            int b = (int)((long)count * k / chunks);
            while (b > 0 && b < count && sorted[b] >> 32 == sorted[b - 1] >> 32) b++;
            return b;
        }
        Parallel.For(0, chunks, k =>
        {
            int start = Boundary(k), end = Boundary(k + 1);
            if (start < end) body(start, end);
        });
    }
}
