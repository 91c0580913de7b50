using NativeContrastive.Kernels.Emu;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// <see cref="BackendConformance"/> on the emulated device, in forward, reverse and random fiber
/// order: a kernel whose warps or blocks depend on an unsynchronised order shows up in one of them.
/// </summary>
[TestFixture(EmuOrder.Forward)]
[TestFixture(EmuOrder.Reverse)]
[TestFixture(EmuOrder.Random)]
public class EmuConformanceTests(EmuOrder order) : BackendConformance
{
    protected override IBackend Device => EmuDevice.Backend;

    [SetUp]
    public void SetOrder() => Emu.Driver.SetOrder(order, seed: 4321);

    [TearDown]
    public void ResetOrder() => Emu.Driver.SetOrder(EmuOrder.Forward);
}
