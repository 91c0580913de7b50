using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// A backend together with the profile that records its work (see <see cref="Devices.CreateProfiled"/>).
/// Disposing it disposes the backend when the backend is disposable (a device backend), then the
/// driver it was built over, if any; the cpu backend is a process-wide instance and stays.
/// </summary>
public sealed class ProfiledDevice(IBackend backend, IProfileSource profile, IDisposable? driver = null) : IDisposable
{
    private int disposed;

    public IBackend Backend { get; } = backend;

    public IProfileSource Profile { get; } = profile;

    /// <summary>
    /// A backend built over <paramref name="driver"/> wrapped in a <see cref="ProfilingDriver"/>,
    /// which is also the profile: <c>ProfiledDevice.OverDriver(new EmuDriver(), d =&gt; new DeviceBackend(d, "emu"))</c>.
    /// The result owns the driver.
    /// </summary>
    public static ProfiledDevice OverDriver(IKernelDriver driver, Func<IKernelDriver, IBackend> createBackend)
    {
        var profiling = new ProfilingDriver(driver);
        try
        {
            return new ProfiledDevice(createBackend(profiling), profiling, profiling);
        }
        catch
        {
            profiling.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try { (Backend as IDisposable)?.Dispose(); }
        finally { driver?.Dispose(); }
    }
}
