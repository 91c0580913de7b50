using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Memory;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// IBackend.RandomUniform: the cpu draws RandomStream(seed, stream) in order, emu runs random.cu's
/// uniform kernel; both bit for bit, at lengths that are not multiples of a Philox block (4). The
/// NPID memory bank's random init, now drawn on its own backend, gives the bank the host loop
/// gave before (cpu, bit for bit) and the same bank on emu.
/// </summary>
public class RandomUniformTests
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    [TestCase(1, 3UL, 0UL, 0f, 1f)]
    [TestCase(7, 42UL, 5UL, -0.25f, 0.25f)]
    [TestCase(1001, 9UL, 0x0100000000000001UL, -3f, 2f)]
    public void CpuIsRandomStreamAndEmuIsBitIdentical(int n, ulong seed, ulong stream, float lo, float hi)
    {
        using var scope = TensorScope.Begin();
        var rng = new RandomStream(seed, stream);
        var expected = Enumerable.Range(0, n).Select(_ => rng.NextFloat(lo, hi)).ToArray();
        var c = Tensor.Empty(Cpu, n);
        Cpu.RandomUniform(c, seed, stream, lo, hi);
        Assert.That(c.ToArray(), Is.EqualTo(expected), "cpu = RandomStream.NextFloat(lo, hi)");
        IBackend emu = EmuDevice.Backend;
        var e = Tensor.Empty(emu, n);
        emu.RandomUniform(e, seed, stream, lo, hi);
        Assert.That(e.ToArray(), Is.EqualTo(expected), "emu bit for bit");
        Assert.That(expected, Has.All.InRange(lo, hi));
    }

    [Test]
    public void MemoryBankRandomInitIsTheHostLoopsBankOnEveryDevice()
    {
        const int n = 37, d = 11;
        const ulong seed = 5;
        float stdv = 1f / MathF.Sqrt(d / 3f);
        var rng = new RandomStream(seed, StreamId.Of(StreamId.BankInit));
        var host = Enumerable.Range(0, n * d).Select(_ => rng.NextFloat(-stdv, stdv)).ToArray();
        using var scope = TensorScope.Begin();
        var expected = Tensor.Empty(Cpu, n, d);
        Cpu.L2NormalizeRows(Tensor.FromArray(Cpu, host, n, d), expected, Tensor.Empty(Cpu, n), n, d, 1e-12f);

        using var cpuBank = new MemoryBank(Cpu, n, d);
        cpuBank.InitializeRandom(seed);
        Assert.That(cpuBank.Storage.ToArray(), Is.EqualTo(expected.ToArray()), "cpu: the bank the host loop gave");

        using var emuBank = new MemoryBank(EmuDevice.Backend, n, d);
        emuBank.InitializeRandom(seed);
        Assert.That(emuBank.Storage.ToArray(), Is.EqualTo(expected.ToArray()).Within(1e-6f), "emu: the same draws, normalised on the device");
    }
}
