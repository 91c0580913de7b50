using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Tests.KernelTests;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>One device backend over the tests' shared emulated device (built once per run).</summary>
public static class EmuDevice
{
    private static readonly Lazy<DeviceBackend> Shared = new(() => new DeviceBackend(Emu.Driver, "emu"));

    public static DeviceBackend Backend => Shared.Value;
}
