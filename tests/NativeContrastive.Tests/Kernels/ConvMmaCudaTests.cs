using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// conv_mma.cu on a real GPU (sm_80+) at ResNet-like sizes, mirroring <see cref="ConvMmaKernelTests"/>:
/// forward, backward data and backward weight (with the launcher's own split-K) at tf32 and bf16
/// against a float64 convolution of the rounded operands, and bit-identical from run to run (no
/// atomics). The tensor core's internal summation order is unspecified, so the bound is 4× the
/// emulator's: 4·n·2⁻²³·Σ|a·b|. Skipped with the reason when no CUDA device is present; a
/// device below compute capability 8.0 is skipped too (the launcher refuses it, see PrecisionConvTests).
/// </summary>
public class ConvMmaCudaTests : CudaKernelTest
{
    private DeviceBuffer Up(float[] a) => DeviceBuffer.From(Cuda, a);

    [TestCase(8, 64, 16, 16, 64, 3, 1, 1, Precision.Tf32)]
    [TestCase(8, 64, 16, 16, 64, 3, 1, 1, Precision.Bf16)]
    [TestCase(4, 3, 32, 32, 64, 7, 2, 3, Precision.Tf32)]
    [TestCase(16, 128, 8, 8, 256, 1, 2, 0, Precision.Bf16)]
    [TestCase(64, 96, 4, 4, 130, 3, 1, 1, Precision.Tf32)]
    [TestCase(2, 37, 9, 7, 70, 3, 2, 1, Precision.Bf16)]
    public void MatchesRoundedReferenceAndRepeatsBitForBit(int n, int c, int h, int w, int kOut, int r, int stride, int pad, Precision p)
    {
        if (Cuda.Arch.Major < 8) Assert.Ignore($"compute capability {Cuda.Arch.Major}.{Cuda.Arch.Minor} has no tf32/bf16 mma");
        var g = new ConvShape(n, c, h, w, kOut, r, r, stride, stride, pad, pad);
        float[] x = EmuKernelTest.Data(g.InputLength, 1, -1f, 1f), wt = EmuKernelTest.Data(g.WeightLength, 2, -1f, 1f),
                gy = EmuKernelTest.Data(g.OutputLength, 3, -1f, 1f);
        using var k = new ConvMmaKernels(Cuda);
        using var dx = Up(x);
        using var dw = Up(wt);
        using var dgy = Up(gy);
        using var dy = DeviceBuffer.Allocate<float>(Cuda, g.OutputLength);
        using var dgx = DeviceBuffer.Allocate<float>(Cuda, g.InputLength);
        using var dgw = DeviceBuffer.Allocate<float>(Cuda, g.WeightLength);
        float[][] Run()
        {
            k.Conv2dForward(dx, dw, null, dy, g, p);
            k.Conv2dBackwardData(dgy, dw, dgx, g, p);
            k.Conv2dBackwardWeight(dx, dgy, dgw, null, g, p);
            Cuda.Synchronize();
            return [dy.ToArray<float>(), dgx.ToArray<float>(), dgw.ToArray<float>()];
        }
        var first = Run();
        Check(ConvMmaKernelTests.ForwardRef(g, x, wt, p), first[0], "y");
        Check(ConvMmaKernelTests.BackwardDataRef(g, gy, wt, p), first[1], "dx");
        Check(ConvMmaKernelTests.BackwardWeightRef(g, x, gy, p), first[2], "dw");
        var second = Run();
        for (int i = 0; i < 3; i++) Assert.That(second[i], Is.EqualTo(first[i]), $"output {i} repeats bit for bit");
    }

    /// <summary>The bf16-output forward (direct epilogue, or split + conv2d_reduce_bf16_kernel) stores exactly the bf16 rounding of the fp32-output forward, as on emu (Bf16ActivationKernelTests).</summary>
    [TestCase(8, 64, 16, 16, 64, 3, 1, 1)]
    [TestCase(16, 128, 8, 8, 256, 1, 2, 0)]
    [TestCase(64, 256, 4, 4, 512, 3, 1, 1)]
    public void Bf16OutputIsTheRoundedFp32Output(int n, int c, int h, int w, int kOut, int r, int stride, int pad)
    {
        if (Cuda.Arch.Major < 8) Assert.Ignore($"compute capability {Cuda.Arch.Major}.{Cuda.Arch.Minor} has no bf16 mma");
        var g = new ConvShape(n, c, h, w, kOut, r, r, stride, stride, pad, pad);
        using var k = new ConvMmaKernels(Cuda);
        using var dx = Up(EmuKernelTest.Data(g.InputLength, 1, -1f, 1f));
        using var dw = Up(EmuKernelTest.Data(g.WeightLength, 2, -1f, 1f));
        using var y32 = DeviceBuffer.Allocate<float>(Cuda, g.OutputLength);
        using var y16 = DeviceBuffer.Allocate<ushort>(Cuda, g.OutputLength);
        k.Conv2dForward(dx, dw, null, y32, g, Precision.Bf16);
        k.Conv2dForwardBf16Output(dx, dw, null, y16, g, Precision.Bf16);
        Cuda.Synchronize();
        Assert.That(y16.ToArray<ushort>(), Is.EqualTo(Array.ConvertAll(y32.ToArray<float>(), PrecisionRounding.Bf16Bits)));
    }

    /// <summary>
    /// The kernels reading x or dy stored in bf16 ("_in_bf16", "_dy_bf16") compute on the hardware
    /// exactly what their fp32-operand twins compute on the values widened (as on emu, Bf16ActivationKernelTests).
    /// </summary>
    [TestCase(8, 64, 16, 16, 64, 3, 1, 1)]
    [TestCase(16, 128, 8, 8, 256, 1, 2, 0)]
    [TestCase(64, 256, 4, 4, 512, 3, 1, 1)]
    public void Bf16StoredOperandsGiveTheWidenedFp32Results(int n, int c, int h, int w, int kOut, int r, int stride, int pad)
    {
        if (Cuda.Arch.Major < 8) Assert.Ignore($"compute capability {Cuda.Arch.Major}.{Cuda.Arch.Minor} has no bf16 mma");
        var g = new ConvShape(n, c, h, w, kOut, r, r, stride, stride, pad, pad);
        var x16 = Array.ConvertAll(EmuKernelTest.Data(g.InputLength, 1, -1f, 1f), PrecisionRounding.Bf16Bits);
        var dy16 = Array.ConvertAll(EmuKernelTest.Data(g.OutputLength, 3, -1f, 1f), PrecisionRounding.Bf16Bits);
        using var k = new ConvMmaKernels(Cuda);
        using var dx16 = DeviceBuffer.From(Cuda, x16);
        using var dx32 = Up(Array.ConvertAll(x16, PrecisionRounding.FromBf16Bits));
        using var ddy16 = DeviceBuffer.From(Cuda, dy16);
        using var ddy32 = Up(Array.ConvertAll(dy16, PrecisionRounding.FromBf16Bits));
        using var dw = Up(EmuKernelTest.Data(g.WeightLength, 2, -1f, 1f));
        float[] Fp32(DeviceBuffer b) { Cuda.Synchronize(); return b.ToArray<float>(); }
        using var y = DeviceBuffer.Allocate<float>(Cuda, g.OutputLength);
        using var yFrom16 = DeviceBuffer.Allocate<float>(Cuda, g.OutputLength);
        k.Conv2dForward(dx32, dw, null, y, g, Precision.Bf16);
        k.Conv2dForwardBf16Input(dx16, dw, null, yFrom16, yBf16: false, g, Precision.Bf16);
        Assert.That(Fp32(yFrom16), Is.EqualTo(Fp32(y)), "forward, x in bf16");
        using var gx = DeviceBuffer.Allocate<float>(Cuda, g.InputLength);
        using var gxFrom16 = DeviceBuffer.Allocate<float>(Cuda, g.InputLength);
        k.Conv2dBackwardData(ddy32, dw, gx, g, Precision.Bf16);
        k.Conv2dBackwardDataBf16Dy(ddy16, dw, gxFrom16, g, Precision.Bf16);
        Assert.That(Fp32(gxFrom16), Is.EqualTo(Fp32(gx)), "backward data, dy in bf16");
        using var gw = DeviceBuffer.Allocate<float>(Cuda, g.WeightLength);
        using var gwFrom16 = DeviceBuffer.Allocate<float>(Cuda, g.WeightLength);
        k.Conv2dBackwardWeight(dx32, ddy32, gw, null, g, Precision.Bf16);
        k.Conv2dBackwardWeightBf16(dx16, true, ddy16, true, gwFrom16, null, g, Precision.Bf16);
        Assert.That(Fp32(gwFrom16), Is.EqualTo(Fp32(gw)), "backward weight, x and dy in bf16");
    }

    private static void Check(ConvMmaKernelTests.Reference re, float[] actual, string what)
    {
        for (long i = 0; i < re.Sum.Length; i++)
        {
            double tol = 4 * Math.Max(re.Terms[i] + 1, 2) * Math.Pow(2, -23) * re.Abs[i] + 1e-30;
            if (!(Math.Abs(actual[i] - re.Sum[i]) <= tol))
                Assert.Fail($"{what}: element {i}: expected {re.Sum[i]:R} ± {tol:G3}, got {actual[i]:R}");
        }
    }
}
