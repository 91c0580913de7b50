using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine;

/// <summary>
/// A backend together with the profile that records its work (see <see cref="Devices.CreateProfiled"/>).
/// Disposing it disposes the backend when the backend is disposable (a device backend and its
/// driver); the cpu backend is a process-wide instance and stays.
/// </summary>
public sealed record ProfiledDevice(IBackend Backend, IProfileSource Profile) : IDisposable
{
    /// <summary>
    /// A backend built over <paramref name="driver"/> wrapped in a <see cref="ProfilingDriver"/>,
    /// which is also the profile: <c>ProfiledDevice.OverDriver(driver, d =&gt; new DeviceBackend(d, name))</c>.
    /// </summary>
    public static ProfiledDevice OverDriver(IKernelDriver driver, Func<IKernelDriver, IBackend> createBackend)
    {
        var profiling = new ProfilingDriver(driver);
        try
        {
            return new ProfiledDevice(createBackend(profiling), profiling);
        }
        catch
        {
            profiling.Dispose();
            throw;
        }
    }

    public void Dispose() => (Backend as IDisposable)?.Dispose();
}
