using NativeContrastive.Kernels.Interop;

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

/// <summary>A <see cref="CudaEvent"/> recorded on one <see cref="CudaStream"/>.</summary>
public sealed class CudaStreamEvent(CudaStream stream) : ITimingEvent
{
    private readonly CudaEvent evt = CudaEvent.Create();

    public void Record() => evt.Record(stream);

    public void Synchronize() => evt.Synchronize();

    public float ElapsedSince(ITimingEvent start) => evt.ElapsedSince(((CudaStreamEvent)start).evt);

    public void Dispose() => evt.Dispose();
}
