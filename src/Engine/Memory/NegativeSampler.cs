using NativeContrastive.Engine.Randomness;

namespace NativeContrastive.Engine.Memory;

/// <summary>
/// Draws NPID's noise samples: m indices per sample from the uniform noise distribution
/// P_n(i) = 1/N (lemniscate draws from unigrams of ones, i.e. uniform, with replacement, and
/// does not exclude the sample's own index; neither do we). Step t draws from the Philox
/// stream (seed, <see cref="StreamId.NegativeSampling"/>, t): the negatives of a step depend
/// only on the seed and the step number, so a resumed run draws exactly what an uninterrupted
/// one would.
/// </summary>
public sealed class NegativeSampler
{
    public NegativeSampler(int dataSize, int negatives, ulong seed)
    {
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NegativeSampler: data size must be > 0, got {dataSize}.");
        if (negatives <= 0) throw new ArgumentOutOfRangeException(nameof(negatives), $"NegativeSampler: number of negatives must be > 0, got {negatives}.");
        DataSize = dataSize;
        Negatives = negatives;
        Seed = seed;
    }

    public int DataSize { get; }

    /// <summary>m, negatives per sample.</summary>
    public int Negatives { get; }

    public ulong Seed { get; }

    /// <summary>
    /// Fills a [batch, m+1] index table row by row: column 0 ← positives[b] (the sample's own
    /// bank entry), columns 1..m ← uniform draws in [0, N). Draw order: row-major over the
    /// negatives, so the table for a given (seed, step, batch, m) is fixed.
    /// </summary>
    public int[] Sample(long step, ReadOnlySpan<int> positives)
    {
        if (step < 0 || step > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(step), $"NegativeSampler: step must be in [0, 2³²), got {step}.");
        int stride = Negatives + 1;
        var table = new int[positives.Length * stride];
        var rng = new RandomStream(Seed, StreamId.Of(StreamId.NegativeSampling, 0, (uint)step));
        for (int b = 0; b < positives.Length; b++)
        {
            if ((uint)positives[b] >= (uint)DataSize)
                throw new ArgumentOutOfRangeException(nameof(positives), $"NegativeSampler: sample index {positives[b]} outside 0..{DataSize - 1}.");
            table[b * stride] = positives[b];
            for (int j = 1; j <= Negatives; j++) table[b * stride + j] = rng.NextInt(DataSize);
        }
        return table;
    }
}
