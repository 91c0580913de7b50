using System.Diagnostics;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// Measures one epoch for <see cref="EpochTimes"/>: the wall time from construction to <see cref="Stop"/>,
/// and the time inside each <see cref="Measure"/> per <see cref="EpochPart"/>. Parts may not nest (the
/// trainer's thread is in one part at a time), which is what keeps their sum within the wall time;
/// nesting throws. Used on the training thread only.
/// </summary>
public sealed class EpochStopwatch
{
    private readonly long start = Stopwatch.GetTimestamp();
    private readonly long[] spent = new long[Enum.GetValues<EpochPart>().Length];
    private EpochPart? running;

    /// <summary>Starts timing <paramref name="part"/> until the returned lap is disposed.</summary>
    public Lap Measure(EpochPart part)
    {
        if (running is EpochPart outer)
            throw new InvalidOperationException($"EpochStopwatch: {part} measured inside {outer}; parts of an epoch do not nest.");
        running = part;
        return new Lap(this, part, Stopwatch.GetTimestamp());
    }

    /// <summary>The times so far (the wall time up to now).</summary>
    public EpochTimes Stop()
    {
        if (running is EpochPart open) throw new InvalidOperationException($"EpochStopwatch: {open} is still being measured.");
        double S(long ticks) => (double)ticks / Stopwatch.Frequency;
        return new EpochTimes(S(Stopwatch.GetTimestamp() - start), S(spent[(int)EpochPart.Steps]), S(spent[(int)EpochPart.DataWait]),
            S(spent[(int)EpochPart.Knn]), S(spent[(int)EpochPart.Checkpoint]));
    }

    /// <summary>One measured interval; a struct, so the per-step laps allocate nothing.</summary>
    public readonly struct Lap(EpochStopwatch owner, EpochPart part, long from) : IDisposable
    {
        public void Dispose()
        {
            owner.spent[(int)part] += Stopwatch.GetTimestamp() - from;
            owner.running = null;
        }
    }
}
