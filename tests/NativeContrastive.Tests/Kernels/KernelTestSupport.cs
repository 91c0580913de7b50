using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Shared emulated device for the kernel tests: built once per run (scripts/build-emu.sh is
/// incremental) and loaded once per process. Fixtures derived from <see cref="EmuKernelTest"/>
/// run in forward, reverse and random fiber order.
/// </summary>
public static class Emu
{
    private static readonly Lazy<EmuDriver> Shared = new(() =>
    {
        EmuBuild.EnsureBuilt("release");
        return new EmuDriver();
    });

    public static EmuDriver Driver => Shared.Value;

    /// <summary>Kernels of the emulator tests (tests/…/Kernels/cu/emu_semantics.cu).</summary>
    public static KernelFunction TestKernel(string name) => Driver.Module("emu_semantics").Function(name);
}

[TestFixture(EmuOrder.Forward)]
[TestFixture(EmuOrder.Reverse)]
[TestFixture(EmuOrder.Random)]
public abstract class EmuKernelTest(EmuOrder order)
{
    protected EmuDriver Driver => Emu.Driver;

    protected EmuOrder Order { get; } = order;

    [SetUp]
    public void SetOrder() => Driver.SetOrder(Order, seed: 1234);

    [TearDown]
    public void ResetOrder() => Driver.SetOrder(EmuOrder.Forward);

    protected DeviceBuffer Up<T>(T[] data) where T : unmanaged => DeviceBuffer.From(Driver, data);

    protected DeviceBuffer Zeros(long count) => DeviceBuffer.Allocate<float>(Driver, count);

    /// <summary>Deterministic test data in [lo, hi).</summary>
    public static float[] Data(long n, int seed, float lo = -2f, float hi = 2f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * r.NextSingle();
        return a;
    }
}

public static class Close
{
    /// <summary>|actual − expected| ≤ atol + rtol·|expected| elementwise (NaN only where expected is NaN), with the first failure named.</summary>
    public static void Assert(float[] expected, float[] actual, float atol, float rtol, string what)
    {
        NUnit.Framework.Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) && float.IsNaN(a)) continue;
            if (e == a) continue;   // also equal infinities
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
                NUnit.Framework.Assert.Fail($"{what}: element {i}: expected {e:R}, got {a:R} (atol {atol}, rtol {rtol})");
        }
    }
}

/// <summary>NVRTC presence: tests that need it are skipped with the reason only when the library cannot be loaded.</summary>
public static class Nvrtc
{
    public static void RequireOrIgnore()
    {
        if (!NvrtcCompiler.IsAvailable(out var reason)) Assert.Ignore(reason);
    }
}
