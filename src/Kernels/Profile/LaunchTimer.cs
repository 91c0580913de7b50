using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Profile;

/// <summary>Where a timed call started: a host timestamp, or the event recorded before it.</summary>
public readonly record struct TimingMark(long Timestamp, ITimingEvent? Start);

/// <summary>
/// Times the device work of one call at a time: <see cref="Begin"/> before the call is queued,
/// <see cref="End"/> after, and the time reaches the row's counter either at once or, for
/// device events, when <see cref="Resolve"/> (or the bound on pending timings) reads them.
/// </summary>
public abstract class LaunchTimer : IDisposable
{
    /// <summary>How times are taken, for the report ("wall clock", "CUDA events").</summary>
    public abstract string Clock { get; }

    public abstract TimingMark Begin();

    public abstract void End(TimingMark mark, ProfileCounter counter);

    /// <summary>Abandons a mark whose call failed (its event goes back to the pool).</summary>
    public virtual void Cancel(TimingMark mark) { }

    /// <summary>Adds every pending time to its counter (waits for the device where needed).</summary>
    public abstract void Resolve();

    /// <summary>Drops every pending time.</summary>
    public abstract void Discard();

    public virtual void Dispose() { }

    /// <summary>CUDA events on the driver's stream for <see cref="CudaDriver"/>; wall clock for synchronous drivers (emu).</summary>
    public static LaunchTimer For(IKernelDriver driver) =>
        driver is CudaDriver cuda ? new EventTimer(() => new CudaStreamEvent(cuda.Stream), "CUDA events") : new WallClockTimer();
}
