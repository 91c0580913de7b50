using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// index.cu's memory-bank momentum update against CpuBackend.MomentumUpdateRows, with duplicate
/// indices (the last entry must win: other entries' features are unrelated random rows, so a
/// wrong winner is off by O(1)) and untouched rows left bit-identical. Tolerance atol 1e-6 +
/// rtol 1e-5 (float norm summed in another order; the GPU may fuse m·b + (1−m)·f into an FMA).
/// </summary>
public class MomentumUpdateKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    [TestCase(0, 4, 3)]
    [TestCase(1, 1, 1)]
    [TestCase(7, 5, 33)]
    [TestCase(9, 40, 31)]
    [TestCase(300, 50, 130)]   // many duplicates; count·cols > the cpu's parallel threshold
    public void MatchesCpuWithLastDuplicateWinning(int count, int bankRows, int cols)
    {
        var rng = new Random(count * 7 + cols);
        var idx = Enumerable.Range(0, count).Select(_ => rng.Next(bankRows)).ToArray();
        float[] bank0 = Data((long)bankRows * cols, 31, -1f, 1f), f = Data((long)count * cols, 32, -1f, 1f);
        const float m = 0.5f;

        var cpuBank = Tensor.FromArray(CpuBackend.Instance, bank0, bankRows, cols);
        CpuBackend.Instance.MomentumUpdateRows(cpuBank, IntTensor.FromArray(CpuBackend.Instance, idx), Tensor.FromArray(CpuBackend.Instance, f, count, cols), m, cols);

        using var bank = Up(bank0);
        using var di = Up(idx);
        using var df = Up(f);
        new IndexKernels(Driver).MomentumUpdateRows(bank, di, df, m, count, cols);
        var got = bank.ToArray<float>();
        Close.Assert(cpuBank.ToArray(), got, 1e-6f, 1e-5f, "bank");
        for (int r = 0; r < bankRows; r++)
            if (!idx.Contains(r)) Assert.That(got.AsSpan(r * cols, cols).ToArray(), Is.EqualTo(bank0.AsSpan(r * cols, cols).ToArray()), $"row {r} untouched");
    }

    [Test]
    public void BadIndexIsSkippedAndRecorded()
    {
        float[] bank0 = Data(4 * 3, 33), f = Data(2 * 3, 34);
        using var bank = Up(bank0);
        using var di = Up(new[] { 4, 1 });
        using var df = Up(f);
        using var errors = IndexErrors.Allocate(Driver);
        new IndexKernels(Driver).MomentumUpdateRows(bank, di, df, 0.5f, 2, 3, 4, errors);
        Assert.That(IndexErrors.TakeReport(errors), Is.EqualTo((5, 0, 4, 4)), "(code, position, value, limit)");
        var got = bank.ToArray<float>();
        Assert.That(got.AsSpan(0, 3).ToArray(), Is.EqualTo(bank0.AsSpan(0, 3).ToArray()), "row 0 untouched");
        Assert.That(got.AsSpan(3, 3).ToArray(), Is.Not.EqualTo(bank0.AsSpan(3, 3).ToArray()), "the good entry still updates row 1");
    }
}
