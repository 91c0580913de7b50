using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Tests.KernelTests;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>One device backend over the tests' shared emulated device (built once per run).</summary>
public static class EmuDevice
{
    private static readonly Lazy<DeviceBackend> Shared = new(() => new DeviceBackend(Emu.Driver, "emu"));

    public static DeviceBackend Backend => Shared.Value;

    /// <summary>The backend a test case names: "cpu" (the reference) or "emu".</summary>
    public static IBackend ByName(string device) => device switch
    {
        "cpu" => CpuBackend.Instance,
        "emu" => Backend,
        _ => throw new ArgumentException($"Test device \"{device}\": expected cpu or emu.", nameof(device)),
    };
}
