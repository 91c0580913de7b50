using NativeContrastive.Engine.Randomness;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Splits 0..Count−1 into batches per epoch. Training order is a permutation drawn from
/// RandomStream(seed, StreamId.Of(Shuffle, epoch)) — the same on every machine and on resume;
/// with DropLast the final partial batch is left out (contrastive losses want a fixed B).
/// </summary>
public sealed class BatchSampler
{
    public BatchSampler(int count, int batchSize, ulong seed, bool shuffle = true, bool dropLast = true)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be ≥ 0, got {count}.");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be > 0, got {batchSize}.");
        Count = count;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    /// <summary>Training: shuffled, drop-last.</summary>
    public static BatchSampler ForTraining(int count, int batchSize, ulong seed) => new(count, batchSize, seed, true, true);

    /// <summary>Evaluation: in order, every sample (last batch may be short).</summary>
    public static BatchSampler ForEval(int count, int batchSize) => new(count, batchSize, 0, false, false);

    public int Count { get; }
    public int BatchSize { get; }
    public ulong Seed { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }

    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The sample order of an epoch (identity when not shuffling).</summary>
    public int[] Order(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"epoch must be ≥ 0, got {epoch}.");
        if (!Shuffle) return Enumerable.Range(0, Count).ToArray();
        return new RandomStream(Seed, StreamId.Of(StreamId.Shuffle, (uint)epoch)).Permutation(Count);
    }

    /// <summary>The epoch's batches, each a slice of <see cref="Order"/>.</summary>
    public IEnumerable<ArraySegment<int>> Batches(int epoch)
    {
        var order = Order(epoch);
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            int start = b * BatchSize;
            yield return new ArraySegment<int>(order, start, Math.Min(BatchSize, Count - start));
        }
    }
}
