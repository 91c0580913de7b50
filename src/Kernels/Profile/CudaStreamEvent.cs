using NativeContrastive.Kernels.Interop;

namespace NativeContrastive.Kernels.Profile;

/// <summary>A <see cref="CudaEvent"/> recorded on one <see cref="CudaStream"/>.</summary>
public sealed class CudaStreamEvent(CudaStream stream) : ITimingEvent
{
    private readonly CudaEvent evt = CudaEvent.Create();

    public void Record() => evt.Record(stream);

    public void Synchronize() => evt.Synchronize();

    public float ElapsedSince(ITimingEvent start) => evt.ElapsedSince(((CudaStreamEvent)start).evt);

    public void Dispose() => evt.Dispose();
}
