using NativeContrastive.Engine.Randomness;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// The random streams of evaluation, all under <see cref="StreamId.Evaluation"/> so that they
/// never overlap a training stream: k-means seeding, the t-SNE sample and initial positions,
/// the linear probe's batch order per epoch.
/// </summary>
public static class EvalStreams
{
    public const uint KMeans = 1, TsneSample = 2, TsneInit = 3, ProbeShuffle = 4, ProbeInit = 5;

    public static RandomStream Create(ulong seed, uint use, uint index = 0) => new(seed, StreamId.Of(StreamId.Evaluation, use, index));

    /// <summary>Uniform in [0, 1) with 53 random bits (two draws).</summary>
    public static double NextDouble(this RandomStream rng)
    {
        ulong hi = rng.NextUInt() >> 5, lo = rng.NextUInt() >> 6;   // 27 + 26 bits
        return (hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0);
    }
}
