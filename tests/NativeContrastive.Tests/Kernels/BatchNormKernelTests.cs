using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// batchnorm.cu against the cpu backend (two-pass statistics in double) on BatchNorm2d shapes whose
/// n·hw is not a multiple of the 256-thread block, BatchNorm1d (hw = 1, channel stride c), tiny
/// planes (hw = 4), and the reductions split over several blocks per channel (chunks that start
/// and end inside planes). Each channel is offset by up to ±40 around a spread of ±2, so a
/// statistics method that cancels (E[x²] − μ²) would fail. Fused ReLU on and off.
/// Tolerances (atol, rtol): mean (1e-5, 1e-6); invstd, running var (0, 1e-5); running mean
/// (1e-5, 1e-6); y (2e-5, 1e-5); dβ and dγ (2e-5·√(n·hw), 1e-5); dx (1e-5, 1e-4).
/// </summary>
public class BatchNormKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    private static Tensor T(float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    /// <summary>[n, c, hw] data: channel ch centred at 40·sin(ch+1), spread ±2.</summary>
    private static float[] Input(int n, int c, int hw, int seed)
    {
        var x = Data((long)n * c * hw, seed);
        for (int i = 0; i < x.Length; i++) x[i] += 40f * MathF.Sin(i / hw % c + 1);
        return x;
    }

    // n, c, hw, splits per channel (0 = the launcher's policy)
    [TestCase(3, 5, 37, 0)]
    [TestCase(5, 4, 77, 0)]
    [TestCase(33, 7, 1, 0)]
    [TestCase(9, 6, 4, 0)]
    [TestCase(4, 3, 300, 3)]
    [TestCase(7, 2, 1, 4)]
    public void ForwardTrainingAndBackward(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        float[] x = Input(n, c, hw, 1), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), gy = Data(count, 4);
        float[] rm0 = Data(c, 5), rv0 = Data(c, 6, 0.5f, 2f);
        foreach (bool relu in new[] { false, true })
        {
            using var scope = TensorScope.Begin();
            Tensor y = Tensor.Empty(Cpu, count), mean = Tensor.Empty(Cpu, c), invStd = Tensor.Empty(Cpu, c), rm = T(rm0), rv = T(rv0);
            Cpu.BatchNormForwardTraining(T(x), T(gamma), T(beta), y, mean, invStd, rm, rv, n, c, hw, 0.1f, 1e-5f, relu);

            using var dx = Up(x);
            using var dgamma = Up(gamma);
            using var dbeta = Up(beta);
            using var dy = Up(Enumerable.Repeat(float.NaN, count).ToArray());
            using var dmean = Zeros(c);
            using var dinv = Zeros(c);
            using var drm = Up(rm0);
            using var drv = Up(rv0);
            k.BatchNormForwardTraining(dx, dgamma, dbeta, dy, dmean, dinv, drm, drv, n, c, hw, 0.1f, 1e-5f, relu, splits);
            string what = $"relu {relu}, {splits} splits";
            Close.Assert(mean.ToArray(), dmean.ToArray<float>(), 1e-5f, 1e-6f, $"saveMean ({what})");
            Close.Assert(invStd.ToArray(), dinv.ToArray<float>(), 0f, 1e-5f, $"saveInvStd ({what})");
            Close.Assert(rm.ToArray(), drm.ToArray<float>(), 1e-5f, 1e-6f, $"running mean ({what})");
            Close.Assert(rv.ToArray(), drv.ToArray<float>(), 0f, 1e-5f, $"running var ({what})");
            Close.Assert(y.ToArray(), dy.ToArray<float>(), 2e-5f, 1e-5f, $"y ({what})");

            // Backward from the cpu forward's saved statistics (and y for the fused ReLU mask).
            Tensor gx = Tensor.Empty(Cpu, count), gg = Tensor.Empty(Cpu, c), gb = Tensor.Empty(Cpu, c);
            Cpu.BatchNormBackward(T(x), T(gy), relu ? y : null, T(gamma), mean, invStd, gx, gg, gb, n, c, hw);
            using var dgy = Up(gy);
            using var dyRef = Up(y.ToArray());
            using var dsm = Up(mean.ToArray());
            using var dsi = Up(invStd.ToArray());
            using var dgx = Up(Enumerable.Repeat(float.NaN, count).ToArray());
            using var dgg = Up(Enumerable.Repeat(float.NaN, c).ToArray());
            using var dgb = Up(Enumerable.Repeat(float.NaN, c).ToArray());
            k.BatchNormBackward(dx, dgy, relu ? dyRef : null, dgamma, dsm, dsi, dgx, dgg, dgb, n, c, hw, splits);
            float sumTol = 2e-5f * MathF.Sqrt(n * hw);
            Close.Assert(gb.ToArray(), dgb.ToArray<float>(), sumTol, 1e-5f, $"dbeta ({what})");
            Close.Assert(gg.ToArray(), dgg.ToArray<float>(), sumTol, 1e-5f, $"dgamma ({what})");
            Close.Assert(gx.ToArray(), dgx.ToArray<float>(), 1e-5f, 1e-4f, $"dx ({what})");
        }
    }

    [TestCase(3, 5, 37)]
    [TestCase(33, 7, 1)]
    public void ForwardInference(int n, int c, int hw)
    {
        var k = new BatchNormKernels(Driver);
        int count = n * c * hw;
        float[] x = Input(n, c, hw, 7), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), rm = Data(c, 5), rv = Data(c, 6, 0.5f, 2f);
        foreach (bool relu in new[] { false, true })
        {
            using var scope = TensorScope.Begin();
            var y = Tensor.Empty(Cpu, count);
            Cpu.BatchNormForwardInference(T(x), T(gamma), T(beta), y, T(rm), T(rv), n, c, hw, 1e-5f, relu);
            using var dx = Up(x);
            using var dg = Up(gamma);
            using var db = Up(beta);
            using var drm = Up(rm);
            using var drv = Up(rv);
            using var dy = Up(Enumerable.Repeat(float.NaN, count).ToArray());
            k.BatchNormForwardInference(dx, dg, db, dy, drm, drv, n, c, hw, 1e-5f, relu);
            // |x| up to 42 and scale up to ~2: y = x·scale + shift cancels to O(1), so atol is relative to |x·scale|.
            Close.Assert(y.ToArray(), dy.ToArray<float>(), 1e-5f * 42 * 2, 1e-5f, $"y (relu {relu})");
        }
    }

    // Fused relu(bn(x) + residual): n, c, hw, splits per channel (0 = the launcher's policy).
    [TestCase(3, 5, 37, 0)]
    [TestCase(33, 7, 1, 0)]
    [TestCase(9, 3, 4, 0)]
    [TestCase(4, 1, 300, 3)]
    [TestCase(2, 6, 49, 2)]
    public void AddReluForwardTrainingAndBackward(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        float[] x = Input(n, c, hw, 11), res = Data(count, 12), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), gy = Data(count, 4);
        float[] rm0 = Data(c, 5), rv0 = Data(c, 6, 0.5f, 2f);
        res[0] = float.NaN;   // propagates through the ReLU on both devices
        using var scope = TensorScope.Begin();
        Tensor y = Tensor.Empty(Cpu, count), mean = Tensor.Empty(Cpu, c), invStd = Tensor.Empty(Cpu, c), rm = T(rm0), rv = T(rv0);
        Cpu.BatchNormAddReluForwardTraining(T(x), T(res), T(gamma), T(beta), y, mean, invStd, rm, rv, n, c, hw, 0.1f, 1e-5f);
        Assert.That(float.IsNaN(y.ToArray()[0]), "cpu: NaN residual gives NaN");

        using var dx = Up(x);
        using var dres = Up(res);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dy = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var dmean = Zeros(c);
        using var dinv = Zeros(c);
        using var drm = Up(rm0);
        using var drv = Up(rv0);
        k.BatchNormAddReluForwardTraining(dx, dres, dgamma, dbeta, dy, dmean, dinv, drm, drv, n, c, hw, 0.1f, 1e-5f, splits);
        string what = $"{splits} splits";
        Close.Assert(mean.ToArray(), dmean.ToArray<float>(), 1e-5f, 1e-6f, $"saveMean ({what})");
        Close.Assert(invStd.ToArray(), dinv.ToArray<float>(), 0f, 1e-5f, $"saveInvStd ({what})");
        Close.Assert(rm.ToArray(), drm.ToArray<float>(), 1e-5f, 1e-6f, $"running mean ({what})");
        Close.Assert(rv.ToArray(), drv.ToArray<float>(), 0f, 1e-5f, $"running var ({what})");
        Close.Assert(y.ToArray(), dy.ToArray<float>(), 2e-5f, 1e-5f, $"y ({what})");

        Tensor gx = Tensor.Empty(Cpu, count), gr = Tensor.Empty(Cpu, count), gg = Tensor.Empty(Cpu, c), gb = Tensor.Empty(Cpu, c);
        Cpu.BatchNormAddReluBackward(T(x), T(gy), y, T(gamma), mean, invStd, gx, gr, gg, gb, n, c, hw);
        using var dgy = Up(gy);
        using var dyRef = Up(y.ToArray());
        using var dsm = Up(mean.ToArray());
        using var dsi = Up(invStd.ToArray());
        using var dgx = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var dgr = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var dgg = Up(Enumerable.Repeat(float.NaN, c).ToArray());
        using var dgb = Up(Enumerable.Repeat(float.NaN, c).ToArray());
        k.BatchNormAddReluBackward(dx, dgy, dyRef, dgamma, dsm, dsi, dgx, dgr, dgg, dgb, n, c, hw, splits);
        float sumTol = 2e-5f * MathF.Sqrt(n * hw);
        Assert.That(dgr.ToArray<float>(), Is.EqualTo(gr.ToArray()), $"dresidual = dy·[y > 0] exactly ({what})");
        Close.Assert(gb.ToArray(), dgb.ToArray<float>(), sumTol, 1e-5f, $"dbeta ({what})");
        Close.Assert(gg.ToArray(), dgg.ToArray<float>(), sumTol, 1e-5f, $"dgamma ({what})");
        Close.Assert(gx.ToArray(), dgx.ToArray<float>(), 1e-5f, 1e-4f, $"dx ({what})");
    }

    [TestCase(3, 5, 37)]
    [TestCase(33, 7, 1)]
    [TestCase(2, 3, 5)]
    public void AddReluForwardInference(int n, int c, int hw)
    {
        using var k = new BatchNormKernels(Driver);
        int count = n * c * hw;
        float[] x = Input(n, c, hw, 7), res = Data(count, 8), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), rm = Data(c, 5), rv = Data(c, 6, 0.5f, 2f);
        res[count - 1] = float.NaN;
        using var scope = TensorScope.Begin();
        var y = Tensor.Empty(Cpu, count);
        Cpu.BatchNormAddReluForwardInference(T(x), T(res), T(gamma), T(beta), y, T(rm), T(rv), n, c, hw, 1e-5f);
        using var dx = Up(x);
        using var dr = Up(res);
        using var dg = Up(gamma);
        using var db = Up(beta);
        using var drm = Up(rm);
        using var drv = Up(rv);
        using var dy = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        k.BatchNormAddReluForwardInference(dx, dr, dg, db, dy, drm, drv, n, c, hw, 1e-5f);
        var got = dy.ToArray<float>();
        Assert.That(float.IsNaN(got[count - 1]) && float.IsNaN(y.ToArray()[count - 1]), "NaN propagates on both devices");
        Close.Assert(y.ToArray(), got, 1e-5f * 42 * 2, 1e-5f, "y");
    }

    [Test]
    public void InPlaceForwardAndBackward()
    {
        using var k = new BatchNormKernels(Driver);
        int n = 4, c = 3, hw = 45, count = n * c * hw;
        float[] x = Input(n, c, hw, 8), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), gy = Data(count, 9);
        using var scope = TensorScope.Begin();
        Tensor y = Tensor.Empty(Cpu, count), mean = Tensor.Empty(Cpu, c), invStd = Tensor.Empty(Cpu, c),
               rm = Tensor.Zeros(Cpu, c), rv = Tensor.Full(Cpu, 1f, c);
        Cpu.BatchNormForwardTraining(T(x), T(gamma), T(beta), y, mean, invStd, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: false);
        Tensor gx = Tensor.Empty(Cpu, count), gg = Tensor.Empty(Cpu, c), gb = Tensor.Empty(Cpu, c);
        Cpu.BatchNormBackward(T(x), T(gy), null, T(gamma), mean, invStd, gx, gg, gb, n, c, hw);

        using var dxy = Up(x);   // x and y in one buffer
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dmean = Zeros(c);
        using var dinv = Zeros(c);
        using var drm = Up(new float[c]);
        using var drv = Up(Enumerable.Repeat(1f, c).ToArray());
        k.BatchNormForwardTraining(dxy, dgamma, dbeta, dxy, dmean, dinv, drm, drv, n, c, hw, 0.1f, 1e-5f, false);
        Close.Assert(y.ToArray(), dxy.ToArray<float>(), 2e-5f, 1e-5f, "y written over x");

        using var dx = Up(x);
        using var dgdx = Up(gy);   // dy and dx in one buffer
        using var dgg = Zeros(c);
        using var dgb = Zeros(c);
        k.BatchNormBackward(dx, dgdx, null, dgamma, dmean, dinv, dgdx, dgg, dgb, n, c, hw);
        Close.Assert(gx.ToArray(), dgdx.ToArray<float>(), 1e-5f, 1e-4f, "dx written over dy");
    }

    [Test]
    public void SplitPolicy()
    {
        Assert.That(BatchNormKernels.Splits(512, 64, 1024), Is.EqualTo(16), "64 channels × 16 = the 1024-block target");
        Assert.That(BatchNormKernels.Splits(512, 512, 16), Is.EqualTo(2), "8192 values: two blocks of ≥ 4096");
        Assert.That(BatchNormKernels.Splits(512, 2048, 1), Is.EqualTo(1), "BatchNorm1d: one block per channel");
        Assert.That(BatchNormKernels.Splits(3, 5, 37), Is.EqualTo(1));
    }
}
