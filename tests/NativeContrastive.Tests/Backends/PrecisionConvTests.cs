using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// IBackend.Precision on the convolution ops: the cpu reference at tf32 / bf16 differs from fp32
/// by no more than the operand rounding allows, the device backend dispatches to conv_mma.cu at
/// tf32 / bf16 and to conv.cu at fp32, and a device below compute capability 8.0 refuses tf32 /
/// bf16 with the precision and the capability named.
/// </summary>
public class PrecisionConvTests
{
    private static readonly ConvShape G = new(2, 6, 7, 8, 5, 3, 3, 2, 1, 1, 0);

    private static Conv2dGeometry Cpu2d(ConvShape g) => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);

    /// <summary>
    /// |Σ round(a)·round(b) − Σ a·b| ≤ (2u + u²)·Σ|a·b| for the relative rounding error u (2⁻¹¹ tf32,
    /// 2⁻⁸ bf16), plus both sides' fp32 accumulation, 2·n·2⁻²³·(1 + 2u)·Σ|a·b|.
    /// </summary>
    [TestCase(Precision.Tf32, 11)]
    [TestCase(Precision.Bf16, 8)]
    public void CpuAtReducedPrecisionDiffersFromFp32WithinTheRoundingBound(Precision p, int bits)
    {
        float[] x = EmuKernelTest.Data(G.InputLength, 1, -1f, 1f), w = EmuKernelTest.Data(G.WeightLength, 2, -1f, 1f);
        var exact = ConvMmaKernelTests.ForwardRef(G, x, w, Precision.Fp32);
        using var scope = TensorScope.Begin();
        var cpu = CpuBackend.Instance;
        Tensor tx = Tensor.FromArray(cpu, x, x.Length), tw = Tensor.FromArray(cpu, w, w.Length);
        var y32 = Tensor.Empty(cpu, (int)G.OutputLength);
        cpu.Conv2dForward(tx, tw, null, y32, Cpu2d(G));
        var yp = Tensor.Empty(cpu, (int)G.OutputLength);
        var reduced = ConvMmaKernelTests.CpuAt(p, c => c.Conv2dForward(tx, tw, null, yp, Cpu2d(G)), yp.ToArray);
        var full = y32.ToArray();
        double u = Math.Pow(2, -bits);
        int differing = 0;
        for (int i = 0; i < full.Length; i++)
        {
            double bound = (2 * u + u * u) * exact.Abs[i] + 2 * (exact.Terms[i] + 1) * Math.Pow(2, -23) * (1 + 2 * u) * exact.Abs[i];
            Assert.That(Math.Abs((double)reduced[i] - full[i]), Is.LessThanOrEqualTo(bound), $"y[{i}]");
            if (reduced[i] != full[i]) differing++;
        }
        Assert.That(differing, Is.GreaterThan(full.Length / 2), "rounding the operands changes most outputs");
    }

    [TestCase(Precision.Tf32)]
    [TestCase(Precision.Bf16)]
    public void DeviceBackendDispatchesToTheTensorCoreKernels(Precision p)
    {
        var dev = EmuDevice.Backend;
        float[] x = EmuKernelTest.Data(G.InputLength, 1, -1f, 1f), w = EmuKernelTest.Data(G.WeightLength, 2, -1f, 1f),
                gy = EmuKernelTest.Data(G.OutputLength, 3, -1f, 1f);
        float[][] Run(Precision at)
        {
            using var scope = TensorScope.Begin();
            Tensor tx = Tensor.FromArray(dev, x, x.Length), tw = Tensor.FromArray(dev, w, w.Length), tgy = Tensor.FromArray(dev, gy, gy.Length);
            Tensor y = Tensor.Empty(dev, (int)G.OutputLength), gx = Tensor.Empty(dev, (int)G.InputLength), gw = Tensor.Empty(dev, (int)G.WeightLength);
            var saved = dev.Precision;
            dev.Precision = at;
            try
            {
                dev.Conv2dForward(tx, tw, null, y, Cpu2d(G));
                dev.Conv2dBackwardData(tgy, tw, gx, Cpu2d(G));
                dev.Conv2dBackwardWeight(tx, tgy, gw, null, Cpu2d(G));
            }
            finally { dev.Precision = saved; }
            return [y.ToArray(), gx.ToArray(), gw.ToArray()];
        }
        var viaBackend = Run(p);

        var driver = dev.Driver;
        using var mma = new ConvMmaKernels(driver);
        using var dx = DeviceBuffer.From(driver, x);
        using var dw = DeviceBuffer.From(driver, w);
        using var dgy = DeviceBuffer.From(driver, gy);
        using var dy = DeviceBuffer.Allocate<float>(driver, G.OutputLength);
        using var dgx = DeviceBuffer.Allocate<float>(driver, G.InputLength);
        using var dgw = DeviceBuffer.Allocate<float>(driver, G.WeightLength);
        mma.Conv2dForward(dx, dw, null, dy, G, p);
        mma.Conv2dBackwardData(dgy, dw, dgx, G, p);
        mma.Conv2dBackwardWeight(dx, dgy, dgw, null, G, p);
        Assert.That(viaBackend[0], Is.EqualTo(dy.ToArray<float>()), "y");
        Assert.That(viaBackend[1], Is.EqualTo(dgx.ToArray<float>()), "dx");
        Assert.That(viaBackend[2], Is.EqualTo(dgw.ToArray<float>()), "dw");

        var fp32 = Run(Precision.Fp32);
        Assert.That(fp32[0], Is.Not.EqualTo(viaBackend[0]), "fp32 runs conv.cu, not the rounded kernels");
    }

    [TestCase(7, 5, Precision.Tf32)]
    [TestCase(6, 1, Precision.Bf16)]
    public void BelowSm80RefusesTensorCorePrecisions(int major, int minor, Precision p)
    {
        var e = Assert.Throws<NotSupportedException>(() => ConvMmaKernels.RequireTensorCores(new GpuArch(major, minor), p))!;
        Assert.That(e.Message, Does.Contain(p.ToString().ToLowerInvariant()).And.Contain($"{major}.{minor}"));
        Assert.DoesNotThrow(() => ConvMmaKernels.RequireTensorCores(GpuArch.Sm80, p));
        Assert.DoesNotThrow(() => ConvMmaKernels.RequireTensorCores(GpuArch.Sm90, p));
    }
}
