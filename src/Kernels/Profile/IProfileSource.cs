namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// Something that records per-kernel (or per-primitive) time: <see cref="ProfilingDriver"/> for
/// the emu and cuda devices, the cpu backend's CpuProfile for cpu. `nc profile` drives any of
/// them the same way: disable during warm-up, <see cref="Reset"/>, enable, run the steps,
/// <see cref="Snapshot"/>.
/// </summary>
public interface IProfileSource
{
    /// <summary>When false, calls pass through unrecorded (and untimed).</summary>
    bool Enabled { get; set; }

    /// <summary>Forgets everything recorded so far (pending device timings included).</summary>
    void Reset();

    /// <summary>
    /// What was recorded since the last reset. Waits for timings still pending on the device,
    /// so call it after the work to be measured has been queued.
    /// </summary>
    ProfileReport Snapshot();
}
