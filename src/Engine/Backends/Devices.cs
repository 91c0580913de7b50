using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// Chooses a backend by the <c>--device</c> name: <c>cpu</c> (the C# reference backend),
/// <c>cuda</c> (kernels compiled by NVRTC, launched on GPU 0 through the CUDA driver) or
/// <c>emu</c> (the same kernels compiled by the host C++ compiler, CUDA threads as fibers).
/// One backend per device per process: the first <see cref="Create"/> of cuda or emu makes its
/// driver and <see cref="DeviceBackend"/>, later calls return the same instance (its memory pool
/// and compiled modules carry over). A device that cannot run here throws
/// <see cref="DeviceUnavailableException"/> with one line naming what is missing.
/// <see cref="CreateProfiled"/> makes a separate, profiled backend for `nc profile`.
/// </summary>
public static class Devices
{
    public static readonly string[] Names = ["cpu", "cuda", "emu"];

    private static readonly Lock Gate = new();
    private static DeviceBackend? cuda, emu;

    public static IBackend Create(string name) => name switch
    {
        "cpu" => CpuBackend.Instance,
        "cuda" => Cuda(),
        "emu" => Emu(),
        _ => throw Unknown(name),
    };

    /// <summary>
    /// The backend of <paramref name="name"/> with a profile of its work (`nc profile`): on cpu the
    /// backend's own per-primitive <see cref="CpuProfile"/>; on cuda and emu a new device backend
    /// (not the shared one of <see cref="Create"/>) over a fresh driver wrapped in a
    /// <see cref="ProfilingDriver"/>, which is the profile; disposing the result releases both.
    /// The profile starts disabled and empty.
    /// </summary>
    public static ProfiledDevice CreateProfiled(string name)
    {
        var device = name switch
        {
            "cpu" => new ProfiledDevice(CpuBackend.Instance, CpuProfile.Source),
            "cuda" or "emu" => ProfiledDevice.OverDriver(name == "cuda" ? NewCudaDriver() : NewEmuDriver(), d => new DeviceBackend(d, name)),
            _ => throw Unknown(name),
        };
        device.Profile.Enabled = false;
        device.Profile.Reset();
        return device;
    }

    private static ArgumentException Unknown(string name) =>
        new($"Unknown device '{name}'; expected one of: {string.Join(", ", Names)}.");

    private static DeviceBackend Cuda()
    {
        lock (Gate)
        {
            return cuda ??= new DeviceBackend(NewCudaDriver(), "cuda");
        }
    }

    private static CudaDriver NewCudaDriver()
    {
        if (!CudaDevice.IsAvailable(out var reason))
            throw new DeviceUnavailableException($"--device cuda: {reason}; use --device cpu or --device emu.");
        if (!NvrtcCompiler.IsAvailable(out var nvrtc))
            throw new DeviceUnavailableException($"--device cuda: NVRTC is needed to compile the kernels: {nvrtc}.");
        return new CudaDriver();
    }

    /// <summary>
    /// The emulated device. Builds the emu libraries first when running from a checkout
    /// (scripts/build-emu.sh, incremental); with $NC_EMU_DIR set, uses the libraries there as they are.
    /// </summary>
    private static DeviceBackend Emu()
    {
        lock (Gate)
        {
            return emu ??= new DeviceBackend(NewEmuDriver(), "emu");
        }
    }

    private static EmuDriver NewEmuDriver()
    {
        try
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NC_EMU_DIR"))) EmuBuild.EnsureBuilt("release");
            return new EmuDriver();
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or DllNotFoundException)
        {
            string first = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? e.GetType().Name;
            throw new DeviceUnavailableException($"--device emu: the emulated device cannot be loaded: {first}", e);
        }
    }
}
