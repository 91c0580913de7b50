namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// A reusable device event on one stream: what <see cref="EventTimer"/> needs, as an interface
/// so its bookkeeping (pooling, lazy resolution, the pending bound) is testable without a GPU.
/// </summary>
public interface ITimingEvent : IDisposable
{
    /// <summary>Queues the event on its stream after the work queued so far.</summary>
    void Record();

    /// <summary>Waits until the event (and the work before it) has completed.</summary>
    void Synchronize();

    /// <summary>Milliseconds from <paramref name="start"/> to this event; both recorded and completed.</summary>
    float ElapsedSince(ITimingEvent start);
}
