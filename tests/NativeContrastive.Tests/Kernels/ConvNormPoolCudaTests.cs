using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// conv.cu, batchnorm.cu and pool.cu on a real GPU at ResNet-like sizes (more tiles, more slices
/// and more split blocks than the emulator tests can afford) against the cpu backend, the
/// results bit-identical from run to run (no atomics anywhere). Throughput: nc-bench Cuda-conv.
/// Skipped with the reason when no CUDA driver or device is present.
/// Tolerances as the emu tests, conv atol 5e-7·(products per sum) + rtol 1e-4 (GPU FMA contraction).
/// </summary>
public class ConvNormPoolCudaTests : CudaKernelTest
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    private static Tensor T(float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    private DeviceBuffer Up<TE>(TE[] a) where TE : unmanaged => DeviceBuffer.From(Cuda, a);

    [TestCase(8, 64, 16, 16, 64, 3, 1, 1)]
    [TestCase(8, 3, 32, 32, 64, 7, 2, 3)]
    [TestCase(16, 128, 8, 8, 256, 1, 2, 0)]
    [TestCase(4, 256, 9, 7, 130, 3, 2, 1)]
    public void ConvMatchesCpuAndRepeatsBitForBit(int n, int c, int h, int w, int kOut, int r, int stride, int pad)
    {
        var g = new ConvShape(n, c, h, w, kOut, r, r, stride, stride, pad, pad);
        var cg = new Conv2dGeometry(n, c, h, w, kOut, r, r, stride, stride, pad, pad);
        float[] x = EmuKernelTest.Data(g.InputLength, 1, -1f, 1f), wt = EmuKernelTest.Data(g.WeightLength, 2, -1f, 1f),
                gy = EmuKernelTest.Data(g.OutputLength, 3, -1f, 1f);
        using var scope = TensorScope.Begin();
        Tensor y = Tensor.Empty(Cpu, (int)g.OutputLength), gx = Tensor.Empty(Cpu, (int)g.InputLength),
               gw = Tensor.Empty(Cpu, (int)g.WeightLength), gb = Tensor.Empty(Cpu, kOut);
        Cpu.Conv2dForward(T(x), T(wt), null, y, cg);
        Cpu.Conv2dBackwardData(T(gy), T(wt), gx, cg);
        Cpu.Conv2dBackwardWeight(T(x), T(gy), gw, gb, cg);

        using var k = new ConvKernels(Cuda);
        using var dx = Up(x);
        using var dw = Up(wt);
        using var dgy = Up(gy);
        using var dy = DeviceBuffer.Allocate<float>(Cuda, g.OutputLength);
        using var dgx = DeviceBuffer.Allocate<float>(Cuda, g.InputLength);
        using var dgw = DeviceBuffer.Allocate<float>(Cuda, g.WeightLength);
        using var dgb = DeviceBuffer.Allocate<float>(Cuda, kOut);
        float[][] Run()
        {
            k.Conv2dForward(dx, dw, null, dy, g);
            k.Conv2dBackwardData(dgy, dw, dgx, g);
            k.Conv2dBackwardWeight(dx, dgy, dgw, dgb, g);
            Cuda.Synchronize();
            return [dy.ToArray<float>(), dgx.ToArray<float>(), dgw.ToArray<float>(), dgb.ToArray<float>()];
        }
        var first = Run();
        Close.Assert(y.ToArray(), first[0], 5e-7f * c * r * r, 1e-4f, "y");
        Close.Assert(gx.ToArray(), first[1], 5e-7f * kOut * r * r, 1e-4f, "dx");
        Close.Assert(gw.ToArray(), first[2], 5e-7f * n * g.P * g.Q, 1e-4f, "dw");
        Close.Assert(gb.ToArray(), first[3], 5e-7f * n * g.P * g.Q, 1e-4f, "dbias");
        var again = Run();
        for (int i = 0; i < first.Length; i++) Assert.That(again[i], Is.EqualTo(first[i]), $"output {i} repeats bit for bit");
    }

    [TestCase(32, 64, 256)]
    [TestCase(256, 512, 1)]
    public void BatchNormAndPoolMatchCpu(int n, int c, int hw)
    {
        int count = n * c * hw;
        float[] x = EmuKernelTest.Data(count, 4).Select((v, i) => v + 10f * (i / hw % c % 5)).ToArray();
        float[] gamma = EmuKernelTest.Data(c, 5, 0.5f, 1.5f), beta = EmuKernelTest.Data(c, 6), gy = EmuKernelTest.Data(count, 7);
        using var scope = TensorScope.Begin();
        Tensor y = Tensor.Empty(Cpu, count), mean = Tensor.Empty(Cpu, c), inv = Tensor.Empty(Cpu, c), rm = Tensor.Zeros(Cpu, c), rv = Tensor.Full(Cpu, 1f, c);
        Cpu.BatchNormForwardTraining(T(x), T(gamma), T(beta), y, mean, inv, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true);
        Tensor gx = Tensor.Empty(Cpu, count), gg = Tensor.Empty(Cpu, c), gb = Tensor.Empty(Cpu, c);
        Cpu.BatchNormBackward(T(x), T(gy), y, T(gamma), mean, inv, gx, gg, gb, n, c, hw);

        using var k = new BatchNormKernels(Cuda);
        using var dx = Up(x);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dy = DeviceBuffer.Allocate<float>(Cuda, count);
        using var dmean = DeviceBuffer.Allocate<float>(Cuda, c);
        using var dinv = DeviceBuffer.Allocate<float>(Cuda, c);
        using var drm = Up(new float[c]);
        using var drv = Up(Enumerable.Repeat(1f, c).ToArray());
        using var dgy = Up(gy);
        using var dgx = DeviceBuffer.Allocate<float>(Cuda, count);
        using var dgg = DeviceBuffer.Allocate<float>(Cuda, c);
        using var dgb = DeviceBuffer.Allocate<float>(Cuda, c);
        k.BatchNormForwardTraining(dx, dgamma, dbeta, dy, dmean, dinv, drm, drv, n, c, hw, 0.1f, 1e-5f, relu: true);
        // Backward from the cpu's saved statistics and y: a y within rounding of 0 may be masked
        // differently by the two forwards, which is not what this checks.
        using var dyCpu = Up(y.ToArray());
        using var dmeanCpu = Up(mean.ToArray());
        using var dinvCpu = Up(inv.ToArray());
        k.BatchNormBackward(dx, dgy, dyCpu, dgamma, dmeanCpu, dinvCpu, dgx, dgg, dgb, n, c, hw);
        Cuda.Synchronize();
        Close.Assert(mean.ToArray(), dmean.ToArray<float>(), 1e-5f, 1e-6f, "saveMean");
        Close.Assert(inv.ToArray(), dinv.ToArray<float>(), 0f, 1e-5f, "saveInvStd");
        Close.Assert(rv.ToArray(), drv.ToArray<float>(), 0f, 1e-5f, "running var");
        Close.Assert(y.ToArray(), dy.ToArray<float>(), 2e-5f, 1e-5f, "y");
        float sumTol = 2e-5f * MathF.Sqrt(n * hw);
        Close.Assert(gb.ToArray(), dgb.ToArray<float>(), sumTol, 1e-5f, "dbeta");
        Close.Assert(gg.ToArray(), dgg.ToArray<float>(), sumTol, 1e-5f, "dgamma");
        Close.Assert(gx.ToArray(), dgx.ToArray<float>(), 1e-5f, 1e-4f, "dx");

        if (hw < 4) return;
        int side = (int)Math.Sqrt(hw);
        var pg = new PoolShape(n, c, side, hw / side, 3, 2, 1);
        var pool = new PoolKernels(Cuda);
        Tensor py = Tensor.Empty(Cpu, (int)pg.OutputLength), pgx = Tensor.Empty(Cpu, count);
        var arg = IntTensor.Empty(Cpu, (int)pg.OutputLength);
        Cpu.MaxPool2dForward(y, py, arg, new Pool2dGeometry(n, c, side, hw / side, 3, 2, 1));
        Cpu.MaxPool2dBackward(py, arg, pgx, new Pool2dGeometry(n, c, side, hw / side, 3, 2, 1));
        using var dpy = DeviceBuffer.Allocate<float>(Cuda, pg.OutputLength);
        using var darg = DeviceBuffer.Allocate<int>(Cuda, pg.OutputLength);
        pool.MaxPool2dForward(dyCpu, dpy, darg, pg);
        pool.MaxPool2dBackward(dpy, darg, dgx, pg);
        Cuda.Synchronize();
        Assert.That(dpy.ToArray<float>(), Is.EqualTo(py.ToArray()), "max-pool y");
        Assert.That(darg.ToArray<int>(), Is.EqualTo(arg.ToArray()), "argmax");
        Assert.That(dgx.ToArray<float>(), Is.EqualTo(pgx.ToArray()), "max-pool dx");
    }

    /// <summary>batch norm's "_bf16" kernels on the hardware: exactly the fp32 kernels on x widened (as on emu, Bf16ActivationKernelTests), at a ResNet-like size.</summary>
    [TestCase(256, 64, 256)]
    [TestCase(512, 512, 16)]
    public void BatchNormReadsBf16AsItsWidenedFp32(int n, int c, int hw)
    {
        int count = n * c * hw;
        var x16 = Array.ConvertAll(EmuKernelTest.Data(count, 1, -3f, 3f), PrecisionRounding.Bf16Bits);
        float[] gamma = EmuKernelTest.Data(c, 2, 0.5f, 1.5f), beta = EmuKernelTest.Data(c, 3), gy = EmuKernelTest.Data(count, 4);
        using var k = new BatchNormKernels(Cuda);
        using var dx16 = Up(x16);
        using var dx32 = Up(Array.ConvertAll(x16, PrecisionRounding.FromBf16Bits));
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dgy = Up(gy);
        float[][] Run(bool bf16)
        {
            using var y = Up(new float[count]);
            using var mean = Up(new float[c]);
            using var inv = Up(new float[c]);
            using var rm = Up(new float[c]);
            using var rv = Up(Enumerable.Repeat(1f, c).ToArray());
            using var dx = Up(new float[count]);
            using var dg = Up(new float[c]);
            using var db = Up(new float[c]);
            if (bf16)
            {
                k.BatchNormForwardTrainingBf16Input(dx16, dgamma, dbeta, y, mean, inv, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true);
                k.BatchNormBackwardBf16Input(dx16, dgy, y, dgamma, mean, inv, dx, dg, db, n, c, hw);
            }
            else
            {
                k.BatchNormForwardTraining(dx32, dgamma, dbeta, y, mean, inv, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true);
                k.BatchNormBackward(dx32, dgy, y, dgamma, mean, inv, dx, dg, db, n, c, hw);
            }
            Cuda.Synchronize();
            return new[] { y, mean, inv, rm, rv, dx, dg, db }.Select(b => b.ToArray<float>()).ToArray();
        }
        Assert.That(Run(bf16: true), Is.EqualTo(Run(bf16: false)));
    }

    /// <summary>
    /// batch norm + ReLU storing y and dx in bf16 (the "_bf16_out_bf16" / "_dx_bf16" kernels) on the
    /// hardware: the bf16 rounding of what the bf16-input kernels write, the stored y read back as the
    /// mask (as on emu, Bf16ActivationKernelTests).
    /// </summary>
    [TestCase(256, 64, 256)]
    [TestCase(512, 512, 16)]
    public void BatchNormStoresBf16OutputAndGradientAsTheRoundedFp32(int n, int c, int hw)
    {
        int count = n * c * hw;
        ushort[] Round(float[] v) => Array.ConvertAll(v, PrecisionRounding.Bf16Bits);
        var x16 = Round(EmuKernelTest.Data(count, 1, -3f, 3f));
        float[] gamma = EmuKernelTest.Data(c, 2, 0.5f, 1.5f), beta = EmuKernelTest.Data(c, 3), gy = EmuKernelTest.Data(count, 4);
        using var k = new BatchNormKernels(Cuda);
        using var dx16 = Up(x16);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dgy = Up(gy);
        using var y32 = Up(new float[count]);
        using var y16 = DeviceBuffer.Allocate<ushort>(Cuda, count);
        using var mean = Up(new float[c]);
        using var inv = Up(new float[c]);
        using var rm = Up(new float[c]);
        using var rv = Up(Enumerable.Repeat(1f, c).ToArray());
        k.BatchNormForwardTrainingBf16Input(dx16, dgamma, dbeta, y32, mean, inv, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true);
        k.BatchNormForwardTrainingBf16InputOutput(dx16, dgamma, dbeta, y16, mean, inv, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true);
        Cuda.Synchronize();
        var stored = y16.ToArray<ushort>();
        Assert.That(stored, Is.EqualTo(Round(y32.ToArray<float>())), "y");
        using var mask32 = Up(Array.ConvertAll(stored, PrecisionRounding.FromBf16Bits));
        using var dx32 = Up(new float[count]);
        using var dxOut16 = DeviceBuffer.Allocate<ushort>(Cuda, count);
        using var dg = Up(new float[c]);
        using var db = Up(new float[c]);
        k.BatchNormBackwardBf16Input(dx16, dgy, mask32, dgamma, mean, inv, dx32, dg, db, n, c, hw);
        k.BatchNormBackwardBf16Gradient(dx16, dgy, y16, true, dgamma, mean, inv, dxOut16, dg, db, n, c, hw);
        Cuda.Synchronize();
        Assert.That(dxOut16.ToArray<ushort>(), Is.EqualTo(Round(dx32.ToArray<float>())), "dx");
    }
}
