namespace NativeContrastive.Engine.Randomness;

/// <summary>
/// Sequential draws from Philox 4x32-10. Key = the 64-bit seed; counter = (block position
/// as 64 bits, stream as 64 bits). Distinct streams (see <see cref="StreamId"/>) never
/// overlap, and a stream's state is just its position, which checkpoints save.
/// </summary>
public sealed class RandomStream
{
    private readonly uint k0, k1, s0, s1;
    private ulong block;           // next counter block to generate
    private uint x0, x1, x2, x3;   // current block's outputs
    private int used = 4;          // outputs of the current block already consumed
    private float spareGaussian = float.NaN;

    public RandomStream(ulong seed, ulong stream = 0)
    {
        Seed = seed;
        Stream = stream;
        k0 = (uint)seed; k1 = (uint)(seed >> 32);
        s0 = (uint)stream; s1 = (uint)(stream >> 32);
    }

    public ulong Seed { get; }

    public ulong Stream { get; }

    /// <summary>Number of 32-bit values drawn so far; setting it resumes the stream exactly there.</summary>
    public ulong Position
    {
        get => (block - (used < 4 ? 1UL : 0UL)) * 4 + (ulong)(used < 4 ? used : 0);
        set
        {
            block = value / 4;
            used = 4;
            spareGaussian = float.NaN;
            int skip = (int)(value % 4);
            if (skip > 0) { Refill(); used = skip; }
        }
    }

    private void Refill()
    {
        (x0, x1, x2, x3) = Philox4x32.Block((uint)block, (uint)(block >> 32), s0, s1, k0, k1);
        block++;
        used = 0;
    }

    public uint NextUInt()
    {
        if (used == 4) Refill();
        return used++ switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every float32 step of that grid).</summary>
    public float NextFloat() => (NextUInt() >> 8) * (1f / 16777216f);

    /// <summary>Uniform in [lo, hi).</summary>
    public float NextFloat(float lo, float hi) => lo + (hi - lo) * NextFloat();

    /// <summary>Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2⁻³² · n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"NextInt needs n > 0, got {n}.");
        return (int)(((ulong)NextUInt() * (ulong)n) >> 32);
    }

    /// <summary>Standard normal by Box–Muller (pairs; the second value is kept for the next call).</summary>
    public float NextGaussian()
    {
        if (!float.IsNaN(spareGaussian))
        {
            float s = spareGaussian;
            spareGaussian = float.NaN;
            return s;
        }
        // u1 in (0, 1] so the log is finite.
        double u1 = ((NextUInt() >> 8) + 1) * (1.0 / 16777216.0);
        double u2 = NextFloat();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareGaussian = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A uniformly random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }
}

/// <summary>
/// Stream numbers by purpose, so that e.g. the augmentation of sample i in epoch e is the
/// same whichever thread or device computes it: stream = purpose·2⁵⁶ + a·2³² + b.
/// </summary>
public static class StreamId
{
    public const uint Init = 1, Shuffle = 2, Augment = 3, NegativeSampling = 4, BankInit = 5, Misc = 6;

    /// <summary>Evaluation of a trained encoder (k-means seeding, t-SNE sample and start, linear-probe batches); a = the use (Eval.EvalStreams).</summary>
    public const uint Evaluation = 16;

    public static ulong Of(uint purpose, uint a = 0, uint b = 0) => ((ulong)purpose << 56) | ((ulong)(a & 0xFFFFFF) << 32) | b;
}
