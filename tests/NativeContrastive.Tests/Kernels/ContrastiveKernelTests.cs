using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// contrastive.cu against the cpu primitives (CpuBackend.Contrastive). Tolerances: losses and
/// log-sum-exp atol 1e-5 + rtol 1e-5 (one-pass online log-sum-exp and a lane-strided sum against
/// the cpu's two-pass SIMD order); InfoNCE gradients atol 1e-6/τ + rtol 1e-5 (softmax − onehot is
/// exact to ~1e-7, then scaled by 1/τ); NCE gradients atol 1e-7 + rtol 1e-5 (same formula, expf
/// ulps only). Widths around and off the warp size; rows not a multiple of the 8 rows per block.
/// </summary>
public class ContrastiveKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    private static int[] Positives(int rows, int cols, bool excludeSelf, int seed)
    {
        var rng = new Random(seed);
        var p = new int[rows];
        for (int r = 0; r < rows; r++)
            do p[r] = rng.Next(cols); while (excludeSelf && p[r] == r);
        return p;
    }

    [TestCase(2, 2, true, 0.5f)]
    [TestCase(9, 9, true, 0.07f)]
    [TestCase(37, 37, true, 0.5f)]
    [TestCase(5, 70, true, 0.1f)]
    [TestCase(11, 1, false, 1f)]
    [TestCase(3, 33, false, 0.07f)]
    public void InfoNceMatchesCpu(int rows, int cols, bool excludeSelf, float tau)
    {
        var k = new ContrastiveKernels(Driver);
        float[] s = Data((long)rows * cols, rows * 100 + cols, -1f, 1f), g = Data(rows, 3, -1f, 1f);
        var p = Positives(rows, cols, excludeSelf, 7);
        var cs = Tensor.FromArray(Cpu, s, rows, cols);
        var cp = IntTensor.FromArray(Cpu, p);
        var cLoss = Tensor.Empty(Cpu, rows);
        var cLse = Tensor.Empty(Cpu, rows);
        var cDs = Tensor.Empty(Cpu, rows, cols);
        Cpu.InfoNceRows(cs, cp, tau, excludeSelf, rows, cols, cLoss, cLse);
        Cpu.InfoNceRowsBackward(cs, cp, cLse, Tensor.FromArray(Cpu, g, rows), tau, excludeSelf, rows, cols, cDs);

        using var ds = Up(s);
        using var dp = Up(p);
        using var dg = Up(g);
        using var loss = Zeros(rows);
        using var lse = Zeros(rows);
        using var grad = Zeros((long)rows * cols);
        k.InfoNceRows(ds, dp, tau, excludeSelf, rows, cols, loss, lse);
        k.InfoNceRowsBackward(ds, dp, lse, dg, tau, excludeSelf, rows, cols, grad);
        Close.Assert(cLoss.ToArray(), loss.ToArray<float>(), 1e-5f, 1e-5f, "loss");
        Close.Assert(cLse.ToArray(), lse.ToArray<float>(), 1e-5f, 1e-5f, "logSumExp");
        Close.Assert(cDs.ToArray(), grad.ToArray<float>(), 1e-6f / tau, 1e-5f, "dS");
        if (excludeSelf)
            for (int r = 0; r < rows; r++) Assert.That(grad.ToArray<float>()[r * cols + r], Is.EqualTo(0f), "diagonal gradient");
    }

    [TestCase(1, 2, 2f, 2L)]
    [TestCase(13, 9, 4f, 10L)]
    [TestCase(3, 65, 1e4f, 50_000L)]
    [TestCase(10, 100, 3e5f, 1_281_167L)]
    public void NceMatchesCpu(int rows, int cols, float z, long n)
    {
        var k = new ContrastiveKernels(Driver);
        float[] s = Data((long)rows * cols, rows + cols, -14f, 14f), g = Data(rows, 4, -1f, 1f);
        var cs = Tensor.FromArray(Cpu, s, rows, cols);
        var cLoss = Tensor.Empty(Cpu, rows);
        var cDs = Tensor.Empty(Cpu, rows, cols);
        var cz = Tensor.FromArray(Cpu, [z], 1);
        Cpu.NceRows(cs, cz, n, rows, cols, cLoss);
        Cpu.NceRowsBackward(cs, Tensor.FromArray(Cpu, g, rows), cz, n, rows, cols, cDs);

        using var ds = Up(s);
        using var dg = Up(g);
        using var loss = Zeros(rows);
        using var grad = Zeros((long)rows * cols);
        using var dz = Up([z]);
        k.NceRows(ds, dz, n, rows, cols, loss);
        k.NceRowsBackward(ds, dg, dz, n, rows, cols, grad);
        Close.Assert(cLoss.ToArray(), loss.ToArray<float>(), 1e-5f, 1e-5f, "loss");
        Close.Assert(cDs.ToArray(), grad.ToArray<float>(), 1e-7f, 1e-5f, "dS");
    }

    [TestCase(2, 2, 0.5f, 1)]
    [TestCase(9, 9, 0.07f, 9)]
    [TestCase(37, 37, 0.1f, 4)]
    [TestCase(5, 70, 0.1f, 3)]
    [TestCase(16, 33, 1f, 2)]
    public void SupConMatchesCpu(int rows, int cols, float tau, int classes)
    {
        var k = new ContrastiveKernels(Driver);
        float[] s = Data((long)rows * cols, rows * 31 + cols, -1f, 1f), g = Data(rows, 5, -1f, 1f);
        var rng = new Random(cols + classes);
        var labels = Enumerable.Range(0, cols).Select(_ => rng.Next(classes)).ToArray();
        var cs = Tensor.FromArray(Cpu, s, rows, cols);
        var cy = IntTensor.FromArray(Cpu, labels);
        var cLoss = Tensor.Empty(Cpu, rows);
        var cLse = Tensor.Empty(Cpu, rows);
        var cCount = IntTensor.Empty(Cpu, rows);
        var cDs = Tensor.Empty(Cpu, rows, cols);
        Cpu.SupConRows(cs, cy, tau, rows, cols, cLoss, cLse, cCount);
        Cpu.SupConRowsBackward(cs, cy, cLse, cCount, Tensor.FromArray(Cpu, g, rows), tau, rows, cols, cDs);

        using var ds = Up(s);
        using var dy = Up(labels);
        using var dg = Up(g);
        using var loss = Zeros(rows);
        using var lse = Zeros(rows);
        using var count = DeviceBuffer.Allocate<int>(Driver, rows);
        using var grad = Zeros((long)rows * cols);
        k.SupConRows(ds, dy, tau, rows, cols, loss, lse, count);
        k.SupConRowsBackward(ds, dy, lse, count, dg, tau, rows, cols, grad);
        Assert.That(count.ToArray<int>(), Is.EqualTo(cCount.ToArray()), "positive counts");
        Close.Assert(cLoss.ToArray(), loss.ToArray<float>(), 1e-5f, 1e-5f, "loss");
        Close.Assert(cLse.ToArray(), lse.ToArray<float>(), 1e-5f, 1e-5f, "logSumExp");
        Close.Assert(cDs.ToArray(), grad.ToArray<float>(), 1e-6f / tau, 1e-5f, "dS");
        var gd = grad.ToArray<float>();
        for (int r = 0; r < rows; r++)
        {
            Assert.That(gd[r * cols + r], Is.EqualTo(0f), "diagonal gradient");
            if (cCount.ToArray()[r] == 0) Assert.That(gd.Skip(r * cols).Take(cols), Is.All.EqualTo(0f), $"row {r} without positives");
        }
    }
}
