using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine;

/// <summary>Chooses a backend by the <c>--device</c> name.</summary>
public static class Devices
{
    public static readonly string[] Names = ["cpu"];

    public static IBackend Create(string name) => name switch
    {
        "cpu" => CpuBackend.Instance,
        _ => throw Unknown(name),
    };

    /// <summary>
    /// The backend of <paramref name="name"/> with a profile of its work (`nc profile`): on cpu the
    /// backend's own per-primitive <see cref="CpuProfile"/>; on emu and cuda a device backend whose
    /// driver is wrapped in a <see cref="ProfilingDriver"/> (<see cref="ProfiledDevice.OverDriver"/>).
    /// The profile starts disabled and empty.
    /// </summary>
    public static ProfiledDevice CreateProfiled(string name)
    {
        var device = name switch
        {
            "cpu" => new ProfiledDevice(CpuBackend.Instance, CpuProfile.Source),
            _ => throw Unknown(name),
        };
        device.Profile.Enabled = false;
        device.Profile.Reset();
        return device;
    }

    private static ArgumentException Unknown(string name) =>
        new($"Unknown device '{name}'; expected one of: {string.Join(", ", Names)}.");
}
