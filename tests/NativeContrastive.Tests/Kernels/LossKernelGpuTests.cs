using System.Diagnostics;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The contrastive, kNN, momentum-update and LARS kernels on a real GPU at training sizes
/// (SimCLR batch 256, NPID m = 4096, a 60 000-entry bank), against the cpu reference with the
/// tolerances of the emu tests; top-k exact. Prints ms per top-k launch. Skipped with the reason
/// when no CUDA driver or device is present.
/// </summary>
public class LossKernelGpuTests : CudaKernelTest
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    [Test]
    public void TopKOver60kColumnsIsExactAndTimed()
    {
        const int rows = 256, cols = 60_000, k = 200;
        var rng = new Random(5);
        var s = new float[rows * cols];
        for (int i = 0; i < s.Length; i++) s[i] = MathF.Round((2f * rng.NextSingle() - 1f) * 4096f) / 4096f;   // cosine-like, many ties
        var cv = Tensor.Empty(Cpu, rows * k);
        var ci = IntTensor.Empty(Cpu, rows * k);
        Cpu.TopKRows(Tensor.FromArray(Cpu, s, rows, cols), rows, cols, k, cv, ci);
        using var ds = DeviceBuffer.From(Cuda, s);
        using var values = DeviceBuffer.Allocate<float>(Cuda, rows * k);
        using var indices = DeviceBuffer.Allocate<int>(Cuda, rows * k);
        var knn = new KnnKernels(Cuda);
        knn.TopKRows(ds, rows, cols, k, values, indices);
        Cuda.Synchronize();
        Assert.That(indices.ToArray<int>(), Is.EqualTo(ci.ToArray()));
        Assert.That(values.ToArray<float>(), Is.EqualTo(cv.ToArray()));
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++) knn.TopKRows(ds, rows, cols, k, values, indices);
        Cuda.Synchronize();
        double ms = sw.Elapsed.TotalMilliseconds / 10;
        TestContext.Out.WriteLine($"top-{k} of {rows}x{cols}: {ms:F3} ms, {(double)rows * cols * 4 / ms / 1e6:F0} GB/s of scores");
    }

    [Test]
    public void ContrastiveMomentumAndLarsMatchCpu()
    {
        // InfoNCE on a [512, 512] similarity matrix (SimCLR, batch 256).
        const int n2 = 512;
        var sim = EmuKernelTest.Data(n2 * n2, 1, -1f, 1f);
        var pos = Enumerable.Range(0, n2).Select(i => (i + n2 / 2) % n2).ToArray();
        var g = EmuKernelTest.Data(n2, 2, -1f, 1f);
        var cLoss = Tensor.Empty(Cpu, n2);
        var cLse = Tensor.Empty(Cpu, n2);
        var cDs = Tensor.Empty(Cpu, n2 * n2);
        Cpu.InfoNceRows(Tensor.FromArray(Cpu, sim, n2, n2), IntTensor.FromArray(Cpu, pos), 0.5f, true, n2, n2, cLoss, cLse);
        Cpu.InfoNceRowsBackward(Tensor.FromArray(Cpu, sim, n2, n2), IntTensor.FromArray(Cpu, pos), cLse, Tensor.FromArray(Cpu, g, n2), 0.5f, true, n2, n2, cDs);
        var con = new ContrastiveKernels(Cuda);
        using var dsim = DeviceBuffer.From(Cuda, sim);
        using var dpos = DeviceBuffer.From(Cuda, pos);
        using var dg = DeviceBuffer.From(Cuda, g);
        using var loss = DeviceBuffer.Allocate<float>(Cuda, n2);
        using var lse = DeviceBuffer.Allocate<float>(Cuda, n2);
        using var grad = DeviceBuffer.Allocate<float>(Cuda, n2 * n2);
        con.InfoNceRows(dsim, dpos, 0.5f, true, n2, n2, loss, lse);
        con.InfoNceRowsBackward(dsim, dpos, lse, dg, 0.5f, true, n2, n2, grad);
        Close.Assert(cLoss.ToArray(), loss.ToArray<float>(), 1e-5f, 1e-5f, "InfoNCE loss");
        Close.Assert(cDs.ToArray(), grad.ToArray<float>(), 2e-6f, 1e-5f, "InfoNCE dS");

        // NCE on [256, 4097] logits at τ = 0.07 scale.
        const int b = 256, c = 4097;
        var logits = EmuKernelTest.Data(b * c, 3, -14f, 14f);
        var cNce = Tensor.Empty(Cpu, b);
        Cpu.NceRows(Tensor.FromArray(Cpu, logits, b, c), Tensor.FromArray(Cpu, [3e5f], 1), 1_281_167, b, c, cNce);
        using var dl = DeviceBuffer.From(Cuda, logits);
        using var nce = DeviceBuffer.Allocate<float>(Cuda, b);
        using var dz = DeviceBuffer.From(Cuda, new[] { 3e5f });
        con.NceRows(dl, dz, 1_281_167, b, c, nce);
        Close.Assert(cNce.ToArray(), nce.ToArray<float>(), 1e-5f, 1e-5f, "NCE loss");

        // Bank update with duplicates, and LARS on a 2.4M-element tensor.
        var bank = EmuKernelTest.Data(1000 * 128, 4, -1f, 1f);
        var idx = Enumerable.Range(0, 256).Select(i => (i * 37) % 200).ToArray();
        var feats = EmuKernelTest.Data(256 * 128, 5, -1f, 1f);
        var cBank = Tensor.FromArray(Cpu, bank, 1000, 128);
        Cpu.MomentumUpdateRows(cBank, IntTensor.FromArray(Cpu, idx), Tensor.FromArray(Cpu, feats, 256, 128), 0.5f, 128);
        using var dbank = DeviceBuffer.From(Cuda, bank);
        using var didx = DeviceBuffer.From(Cuda, idx);
        using var dfeats = DeviceBuffer.From(Cuda, feats);
        new IndexKernels(Cuda).MomentumUpdateRows(dbank, didx, dfeats, 0.5f, 256, 128);
        Close.Assert(cBank.ToArray(), dbank.ToArray<float>(), 1e-6f, 1e-5f, "bank");

        const int n = 2_359_296;
        var p0 = EmuKernelTest.Data(n, 6, -0.1f, 0.1f);
        var pg = EmuKernelTest.Data(n, 7, -0.01f, 0.01f);
        var cp = Tensor.FromArray(Cpu, p0, n);
        var cvel = Tensor.Zeros(Cpu, n);
        Cpu.LarsUpdate(cp, Tensor.FromArray(Cpu, pg, n), cvel, 0.3f, 0.9f, 1e-6f, 0.001f, true, false);
        using var dp = DeviceBuffer.From(Cuda, p0);
        using var dpg = DeviceBuffer.From(Cuda, pg);
        using var dvel = DeviceBuffer.From(Cuda, new float[n]);
        using var scratch = DeviceBuffer.Allocate(Cuda, OptimKernels.LarsScratchBytes);
        new OptimKernels(Cuda).LarsUpdate(dp, dpg, dvel, scratch, n, 0.3f, 0.9f, 1e-6f, 0.001f, true, false);
        Close.Assert(cvel.ToArray(), dvel.ToArray<float>(), 1e-6f, 1e-5f, "LARS velocity");
        Close.Assert(cp.ToArray(), dp.ToArray<float>(), 1e-6f, 1e-5f, "LARS param");
    }
}
