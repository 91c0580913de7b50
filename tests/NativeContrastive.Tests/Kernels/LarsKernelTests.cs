using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// optim.cu's LARS (norm pass + update pass) against CpuBackend.LarsUpdate over three steps so
/// that the velocity carries over. Both reduce the norms in double but in different orders (the
/// cpu accumulates float SIMD lanes per 4096-element block first), and the GPU may fuse g + wd·p;
/// the trust ratio agrees to ~1e-7 relative, hence atol 1e-6 + rtol 1e-5 on p and v. Sizes: empty,
/// one element, odd, and more than the 128 × 256 threads of the norm pass (grid-stride).
/// </summary>
public class LarsKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    [TestCase(0, true, false)]
    [TestCase(1, true, false)]
    [TestCase(257, true, true)]
    [TestCase(5000, false, false)]
    [TestCase(5000, true, false)]
    [TestCase(70001, true, true)]
    public void MatchesCpu(int n, bool adapt, bool nesterov)
    {
        var cpu = CpuBackend.Instance;
        float[] p0 = Data(n, 1, -0.5f, 0.5f), g = Data(n, 2, -0.05f, 0.05f);
        const float lr = 0.3f, mu = 0.9f, wd = 1e-6f, eta = 0.001f;
        var cp = Tensor.FromArray(cpu, p0, n);
        var cg = Tensor.FromArray(cpu, g, n);
        var cv = Tensor.Zeros(cpu, n);

        var k = new OptimKernels(Driver);
        using var dp = Up(p0);
        using var dg = Up(g);
        using var dv = Up(new float[n]);
        using var scratch = DeviceBuffer.Allocate(Driver, OptimKernels.LarsScratchBytes);
        for (int step = 0; step < 3; step++)
        {
            cpu.LarsUpdate(cp, cg, cv, lr, mu, wd, eta, adapt, nesterov);
            k.LarsUpdate(dp, dg, dv, scratch, n, lr, mu, wd, eta, adapt, nesterov);
        }
        Close.Assert(cp.ToArray(), dp.ToArray<float>(), 1e-6f, 1e-5f, "param");
        Close.Assert(cv.ToArray(), dv.ToArray<float>(), 1e-6f, 1e-5f, "velocity");
    }

    [Test]
    public void ZeroWeightsUseRatioOne()
    {
        // ‖p‖ = 0 → r = 1: v = lr·g exactly, as the cpu reference.
        const int n = 300;
        var g = Data(n, 3);
        using var dp = Up(new float[n]);
        using var dg = Up(g);
        using var dv = Up(new float[n]);
        using var scratch = DeviceBuffer.Allocate(Driver, OptimKernels.LarsScratchBytes);
        new OptimKernels(Driver).LarsUpdate(dp, dg, dv, scratch, n, 0.5f, 0.9f, 0f, 0.001f, adapt: true, nesterov: false);
        Close.Assert(g.Select(x => 0.5f * x).ToArray(), dv.ToArray<float>(), 0f, 0f, "velocity");
    }

    [Test]
    public void RejectsSmallScratch()
    {
        using var b = Up(new float[4]);
        using var scratch = DeviceBuffer.Allocate(Driver, 8);
        Assert.Throws<ArgumentException>(() => new OptimKernels(Driver).LarsUpdate(b, b, b, scratch, 4, 0.1f, 0.9f, 0f, 0.001f, true, false));
    }
}
