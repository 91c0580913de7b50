using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The kernels that write or read activations stored as bf16 (a Bf16Tensor) against their fp32
/// twins on the emulator, bit for bit: a convolution's bf16 output must be exactly the bf16 rounding
/// (nearest even, <see cref="PrecisionRounding.Bf16Bits"/>) of its fp32 output — direct bf16 epilogue,
/// split reduction, tf32 and the fp32 SIMT path alike — and batch norm's "_bf16" kernels must give
/// exactly what the fp32 kernels give on x widened to fp32 (the same code and summation order; widening
/// is exact). No tolerance is needed, so none is given. The fp32 kernels are checked against the cpu
/// reference in ConvMmaKernelTests, ConvKernelTests and BatchNormKernelTests.
/// </summary>
public class Bf16ActivationKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static ushort[] Round(float[] v) => Array.ConvertAll(v, PrecisionRounding.Bf16Bits);

    private static float[] Widen(ushort[] bits) => Array.ConvertAll(bits, PrecisionRounding.FromBf16Bits);

    [TestCaseSource(typeof(ConvMmaKernelTests), nameof(ConvMmaKernelTests.Cases))]
    public void TensorCoreForwardStoresTheRoundedFp32Output(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        float[] x = Data(g.InputLength, 1, -1f, 1f), w = Data(g.WeightLength, 2, -1f, 1f), b = Data(g.K, 3, -1f, 1f);
        using var dx = Up(x);
        using var dw = Up(w);
        using var db = Up(b);
        using var y32 = Zeros(g.OutputLength);
        using var y16 = Up(Enumerable.Repeat((ushort)0x7fc1, (int)g.OutputLength).ToArray());
        foreach (int splits in new[] { 1, 2 })
            foreach (var bias in new[] { null, db })
            {
                k.Conv2dForward(dx, dw, bias, y32, g, p, splits, rows);
                k.Conv2dForwardBf16Output(dx, dw, bias, y16, g, p, splits, rows);
                Assert.That(y16.ToArray<ushort>(), Is.EqualTo(Round(y32.ToArray<float>())), $"{splits} splits, bias {bias is not null}");
            }
    }

    /// <summary>The bf16 cases of ConvMmaKernelTests.Cases: only the bf16 kernels read an x stored in bf16.</summary>
    public static IEnumerable<TestCaseData> Bf16Cases() =>
        ConvMmaKernelTests.Cases().Where(c => (Precision)c.Arguments[1]! == Precision.Bf16);

    [TestCaseSource(nameof(Bf16Cases))]
    public void TensorCoreForwardReadsBf16InputAsItsWidenedFp32(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        var x16 = Round(Data(g.InputLength, 1, -1f, 1f));
        float[] w = Data(g.WeightLength, 2, -1f, 1f), b = Data(g.K, 3, -1f, 1f);
        using var dx16 = Up(x16);
        using var dx32 = Up(Widen(x16));
        using var dw = Up(w);
        using var db = Up(b);
        using var y32 = Zeros(g.OutputLength);
        using var y32From16 = Up(Enumerable.Repeat(float.NaN, (int)g.OutputLength).ToArray());
        using var y16 = Up(Enumerable.Repeat((ushort)0x7fc1, (int)g.OutputLength).ToArray());
        foreach (int splits in new[] { 1, 2 })
            foreach (var bias in new[] { null, db })
            {
                k.Conv2dForward(dx32, dw, bias, y32, g, p, splits, rows);
                k.Conv2dForwardBf16Input(dx16, dw, bias, y32From16, yBf16: false, g, p, splits, rows);
                k.Conv2dForwardBf16Input(dx16, dw, bias, y16, yBf16: true, g, p, splits, rows);
                var expected = y32.ToArray<float>();
                Assert.That(y32From16.ToArray<float>(), Is.EqualTo(expected), $"fp32 output, {splits} splits, bias {bias is not null}");
                Assert.That(y16.ToArray<ushort>(), Is.EqualTo(Round(expected)), $"bf16 output, {splits} splits, bias {bias is not null}");
            }
    }

    [TestCaseSource(nameof(Bf16Cases))]
    public void TensorCoreBackwardWeightReadsBf16InputAsItsWidenedFp32(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        var x16 = Round(Data(g.InputLength, 4, -1f, 1f));
        using var dx16 = Up(x16);
        using var dx32 = Up(Widen(x16));
        using var dy = Up(Data(g.OutputLength, 5, -1f, 1f));
        using var dw32 = Zeros(g.WeightLength);
        using var dw16 = Up(Enumerable.Repeat(float.NaN, (int)g.WeightLength).ToArray());
        using var db32 = Zeros(g.K);
        using var db16 = Up(Enumerable.Repeat(float.NaN, g.K).ToArray());
        foreach (int splits in new[] { 1, 3 })
        {
            k.Conv2dBackwardWeight(dx32, dy, dw32, db32, g, p, splits, rows);
            k.Conv2dBackwardWeightBf16(dx16, true, dy, false, dw16, db16, g, p, splits, rows);
            Assert.That(dw16.ToArray<float>(), Is.EqualTo(dw32.ToArray<float>()), $"dw, {splits} splits");
            Assert.That(db16.ToArray<float>(), Is.EqualTo(db32.ToArray<float>()), $"dbias, {splits} splits");
        }
    }

    [TestCaseSource(nameof(Bf16Cases))]
    public void TensorCoreBackwardReadsBf16DyAsItsWidenedFp32(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        var dy16 = Round(Data(g.OutputLength, 6, -1f, 1f));
        var x16 = Round(Data(g.InputLength, 7, -1f, 1f));
        using var ddy16 = Up(dy16);
        using var ddy32 = Up(Widen(dy16));
        using var dx16 = Up(x16);
        using var dx32 = Up(Widen(x16));
        using var dw = Up(Data(g.WeightLength, 8, -1f, 1f));
        using var gradX32 = Zeros(g.InputLength);
        using var gradX16 = Up(Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray());
        using var gradW32 = Zeros(g.WeightLength);
        using var gradW16 = Up(Enumerable.Repeat(float.NaN, (int)g.WeightLength).ToArray());
        foreach (int splits in new[] { 1, 3 })
        {
            k.Conv2dBackwardData(ddy32, dw, gradX32, g, p, splits, rows);
            k.Conv2dBackwardDataBf16Dy(ddy16, dw, gradX16, g, p, splits, rows);
            Assert.That(gradX16.ToArray<float>(), Is.EqualTo(gradX32.ToArray<float>()), $"dx, {splits} splits");
            foreach (bool xBf16 in new[] { false, true })
            {
                k.Conv2dBackwardWeight(dx32, ddy32, gradW32, null, g, p, splits, rows);
                k.Conv2dBackwardWeightBf16(xBf16 ? dx16 : dx32, xBf16, ddy16, true, gradW16, null, g, p, splits, rows);
                Assert.That(gradW16.ToArray<float>(), Is.EqualTo(gradW32.ToArray<float>()), $"dw, x in bf16 {xBf16}, {splits} splits");
            }
        }
    }

    [Test]
    public void Bf16InputIsRefusedAtTf32()
    {
        using var k = new ConvMmaKernels(Driver);
        var g = new ConvShape(1, 2, 4, 4, 2, 3, 3, 1, 1, 1, 1);
        using var x16 = Up(new ushort[g.InputLength]);
        using var w = Zeros(g.WeightLength);
        using var y = Zeros(g.OutputLength);
        Assert.That(() => k.Conv2dForwardBf16Input(x16, w, null, y, yBf16: false, g, Precision.Tf32),
            Throws.ArgumentException.With.Message.Contains("bf16 tensor-core kernels"));
        Assert.That(() => k.Conv2dBackwardWeightBf16(x16, true, y, false, w, null, g, Precision.Tf32),
            Throws.ArgumentException.With.Message.Contains("bf16 tensor-core kernels"));
        using var dy16 = Up(new ushort[g.OutputLength]);
        Assert.That(() => k.Conv2dBackwardDataBf16Dy(dy16, w, y, g, Precision.Tf32), Throws.ArgumentException.With.Message.Contains("bf16 tensor-core kernels"));
        using var dbias = Zeros(g.K);
        Assert.That(() => k.Conv2dBackwardWeightBf16(x16, true, dy16, true, w, dbias, g, Precision.Bf16),
            Throws.ArgumentException.With.Message.Contains("bias gradient is summed from dy in fp32"));
    }

    [Test]
    public void SimtForwardStoresTheRoundedFp32Output()
    {
        using var k = new ConvKernels(Driver);
        foreach (var g in new[] { new ConvShape(2, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1), new ConvShape(1, 19, 7, 9, 70, 3, 3, 2, 2, 1, 1) })
        {
            float[] x = Data(g.InputLength, 4), w = Data(g.WeightLength, 5), b = Data(g.K, 6);
            using var dx = Up(x);
            using var dw = Up(w);
            using var db = Up(b);
            using var y32 = Zeros(g.OutputLength);
            using var y16 = Up(new ushort[g.OutputLength]);
            k.Conv2dForward(dx, dw, db, y32, g);
            k.Conv2dForwardBf16Output(dx, dw, db, y16, g);
            Assert.That(y16.ToArray<ushort>(), Is.EqualTo(Round(y32.ToArray<float>())), $"K = {g.K}");
        }
    }

    [Test]
    public void RoundingKeepsInfinitiesAndMakesNaNCanonical()
    {
        float[] v = [float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN, 3.4e38f, 1.00390625f, 1.01171875f, -0f, 1e-40f];
        using var partial = Up(v);
        using var out16 = Up(new ushort[v.Length]);
        ConvKernels.ReduceToBf16(Driver, partial, out16, 1, v.Length);
        var bits = out16.ToArray<ushort>();
        Assert.That(bits, Is.EqualTo(Round(v)));
        Assert.That(bits[..5], Is.EqualTo(new ushort[] { 0x7f80, 0xff80, 0x7fff, 0x7fff, 0x7f80 }), "∞ stays, NaN → 0x7fff, past the largest bf16 → ∞");
        Assert.That(bits[5..7], Is.EqualTo(new ushort[] { 0x3f80, 0x3f82 }), "ties to even: 1 + 2⁻⁸ → 1, 1 + 3·2⁻⁸ → 1 + 2⁻⁶");
    }

    // n, c, hw, splits per channel (0 = the launcher's policy)
    [TestCase(3, 5, 37, 0)]
    [TestCase(33, 7, 1, 0)]
    [TestCase(4, 3, 300, 3)]
    [TestCase(2, 6, 49, 2)]
    public void BatchNormReadsBf16AsItsWidenedFp32(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        var x16 = Round(Data(count, 1, -3f, 3f).Select((v, i) => v + 40f * MathF.Sin(i / hw % c + 1)).ToArray());
        float[] x32 = Widen(x16), res = Data(count, 2), gamma = Data(c, 3, 0.5f, 1.5f), beta = Data(c, 4), gy = Data(count, 5);
        res[1] = float.NaN;
        using var dx16 = Up(x16);
        using var dx32 = Up(x32);
        using var dres = Up(res);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dgy = Up(gy);

        // Each run: fresh running statistics, every output NaN-filled, then all outputs read back.
        float[][] Run(Action<Outputs> launch)
        {
            var o = new Outputs(this, count, c);
            launch(o);
            return o.Read();
        }
        foreach (bool relu in new[] { false, true })
        {
            Assert.That(Run(o => k.BatchNormForwardTrainingBf16Input(dx16, dgamma, dbeta, o.Y, o.Mean, o.InvStd, o.RunningMean, o.RunningVar, n, c, hw, 0.1f, 1e-5f, relu, splits)),
                Is.EqualTo(Run(o => k.BatchNormForwardTraining(dx32, dgamma, dbeta, o.Y, o.Mean, o.InvStd, o.RunningMean, o.RunningVar, n, c, hw, 0.1f, 1e-5f, relu, splits))),
                $"forward, relu {relu}");
        }
        Assert.That(Run(o => k.BatchNormAddReluForwardTrainingBf16Input(dx16, dres, dgamma, dbeta, o.Y, o.Mean, o.InvStd, o.RunningMean, o.RunningVar, n, c, hw, 0.1f, 1e-5f, splits)),
            Is.EqualTo(Run(o => k.BatchNormAddReluForwardTraining(dx32, dres, dgamma, dbeta, o.Y, o.Mean, o.InvStd, o.RunningMean, o.RunningVar, n, c, hw, 0.1f, 1e-5f, splits))),
            "add + relu forward");

        // Backward from the fp32 forward's statistics and output (the ReLU mask).
        var forward = new Outputs(this, count, c);
        k.BatchNormAddReluForwardTraining(dx32, dres, dgamma, dbeta, forward.Y, forward.Mean, forward.InvStd, forward.RunningMean, forward.RunningVar, n, c, hw, 0.1f, 1e-5f, splits);
        foreach (bool masked in new[] { false, true })
        {
            var mask = masked ? forward.Y : null;
            Assert.That(Run(o => k.BatchNormBackwardBf16Input(dx16, dgy, mask, dgamma, forward.Mean, forward.InvStd, o.Y, o.Mean, o.InvStd, n, c, hw, splits)),
                Is.EqualTo(Run(o => k.BatchNormBackward(dx32, dgy, mask, dgamma, forward.Mean, forward.InvStd, o.Y, o.Mean, o.InvStd, n, c, hw, splits))),
                $"backward, relu mask {masked}");
        }
        Assert.That(Run(o => k.BatchNormAddReluBackwardBf16Input(dx16, dgy, forward.Y, dgamma, forward.Mean, forward.InvStd, o.Y, o.Residual, o.Mean, o.InvStd, n, c, hw, splits)),
            Is.EqualTo(Run(o => k.BatchNormAddReluBackward(dx32, dgy, forward.Y, dgamma, forward.Mean, forward.InvStd, o.Y, o.Residual, o.Mean, o.InvStd, n, c, hw, splits))),
            "add + relu backward");
        forward.Dispose();
    }

    [TestCase(3, 5, 37)]
    [TestCase(33, 7, 1)]
    public void BatchNormInferenceReadsBf16AsItsWidenedFp32(int n, int c, int hw)
    {
        using var k = new BatchNormKernels(Driver);
        int count = n * c * hw;
        var x16 = Round(Data(count, 7, -40f, 40f));
        float[] res = Data(count, 8), gamma = Data(c, 2, 0.5f, 1.5f), beta = Data(c, 3), rm = Data(c, 5), rv = Data(c, 6, 0.5f, 2f);
        res[count - 1] = float.NaN;
        using var dx16 = Up(x16);
        using var dx32 = Up(Widen(x16));
        using var dres = Up(res);
        using var dg = Up(gamma);
        using var db = Up(beta);
        using var drm = Up(rm);
        using var drv = Up(rv);
        using var y16 = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var y32 = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        foreach (bool relu in new[] { false, true })
        {
            k.BatchNormForwardInferenceBf16Input(dx16, dg, db, y16, drm, drv, n, c, hw, 1e-5f, relu);
            k.BatchNormForwardInference(dx32, dg, db, y32, drm, drv, n, c, hw, 1e-5f, relu);
            Assert.That(y16.ToArray<float>(), Is.EqualTo(y32.ToArray<float>()), $"relu {relu}");
        }
        k.BatchNormAddReluForwardInferenceBf16Input(dx16, dres, dg, db, y16, drm, drv, n, c, hw, 1e-5f);
        k.BatchNormAddReluForwardInference(dx32, dres, dg, db, y32, drm, drv, n, c, hw, 1e-5f);
        Assert.That(y16.ToArray<float>(), Is.EqualTo(y32.ToArray<float>()), "add + relu");
    }

    // A BN+ReLU output stored in bf16 (the "_bf16_out_bf16" kernels): y is the rounding of what the
    // bf16-input kernels write, the statistics are theirs, and the backward reading the stored y as its
    // mask gives what the fp32-mask backward gives on that y widened.
    [TestCase(3, 5, 37, 0)]
    [TestCase(33, 7, 1, 0)]
    [TestCase(4, 3, 300, 3)]
    public void BatchNormStoresBf16OutputAsTheRoundedFp32(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        var x16 = Round(Data(count, 11, -3f, 3f).Select((v, i) => v + 2f * MathF.Sin(i / hw % c + 1)).ToArray());
        float[] gamma = Data(c, 12, 0.5f, 1.5f), beta = Data(c, 13), gy = Data(count, 14);
        using var dx16 = Up(x16);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dgy = Up(gy);
        foreach (bool relu in new[] { false, true })
        {
            var wide = new Outputs(this, count, c);
            var narrow = new Outputs(this, count, c);
            using var y16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
            k.BatchNormForwardTrainingBf16Input(dx16, dgamma, dbeta, wide.Y, wide.Mean, wide.InvStd, wide.RunningMean, wide.RunningVar, n, c, hw, 0.1f, 1e-5f, relu, splits);
            k.BatchNormForwardTrainingBf16InputOutput(dx16, dgamma, dbeta, y16, narrow.Mean, narrow.InvStd, narrow.RunningMean, narrow.RunningVar, n, c, hw, 0.1f, 1e-5f, relu, splits);
            var stored = y16.ToArray<ushort>();
            Assert.That(stored, Is.EqualTo(Round(wide.Y.ToArray<float>())), $"y, relu {relu}");
            foreach (var (a, b, what) in new[] { (narrow.Mean, wide.Mean, "mean"), (narrow.InvStd, wide.InvStd, "1/σ"), (narrow.RunningMean, wide.RunningMean, "running mean"), (narrow.RunningVar, wide.RunningVar, "running var") })
                Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()), $"{what}, relu {relu}");
            if (relu)
            {
                Assert.That(stored.Count(v => v == 0), Is.GreaterThan(count / 10), "the mask has zeros to apply");
                using var mask32 = Up(Widen(stored));
                Assert.That(Run(o => k.BatchNormBackwardBf16InputOutput(dx16, dgy, y16, dgamma, wide.Mean, wide.InvStd, o.Y, o.Mean, o.InvStd, n, c, hw, splits)),
                    Is.EqualTo(Run(o => k.BatchNormBackwardBf16Input(dx16, dgy, mask32, dgamma, wide.Mean, wide.InvStd, o.Y, o.Mean, o.InvStd, n, c, hw, splits))),
                    "backward with the bf16 mask");
            }
            wide.Dispose();
            narrow.Dispose();
        }

        float[][] Run(Action<Outputs> launch)
        {
            var o = new Outputs(this, count, c);
            launch(o);
            return o.Read();
        }
    }

    // dx stored in bf16 (the "_dx_bf16" applies): the rounding of what the fp32-dx backward writes,
    // for each mask (none, fp32 y, bf16 y) and with a residual; dγ, dβ and the residual's gradient unchanged.
    [TestCase(3, 5, 37, 0)]
    [TestCase(4, 3, 300, 3)]
    public void BatchNormBackwardStoresBf16GradientAsTheRoundedFp32(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        var x16 = Round(Data(count, 21, -3f, 3f));
        var y16 = Round(Data(count, 22, -1f, 1f).Select(v => MathF.Max(v, 0f)).ToArray());
        float[] gamma = Data(c, 23, 0.5f, 1.5f), gy = Data(count, 24), mean = Data(c, 25, -0.2f, 0.2f), invStd = Data(c, 26, 0.5f, 2f);
        using var dx16 = Up(x16);
        using var dy16mask = Up(y16);
        using var dy32mask = Up(Widen(y16));
        using var dgamma = Up(gamma);
        using var dgy = Up(gy);
        using var dmean = Up(mean);
        using var dinv = Up(invStd);
        foreach (var mask in new[] { "none", "fp32", "bf16", "residual" })
        {
            var wide = new Outputs(this, count, c);
            var narrow = new Outputs(this, count, c);
            using var grad16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
            switch (mask)
            {
                case "residual":
                    k.BatchNormAddReluBackwardBf16Input(dx16, dgy, dy32mask, dgamma, dmean, dinv, wide.Y, wide.Residual, wide.Mean, wide.InvStd, n, c, hw, splits);
                    k.BatchNormAddReluBackwardBf16Gradient(dx16, dgy, dy32mask, false, dgamma, dmean, dinv, grad16, narrow.Residual, narrow.Mean, narrow.InvStd, n, c, hw, splits);
                    break;
                default:
                    k.BatchNormBackwardBf16Input(dx16, dgy, mask == "none" ? null : dy32mask, dgamma, dmean, dinv, wide.Y, wide.Mean, wide.InvStd, n, c, hw, splits);
                    k.BatchNormBackwardBf16Gradient(dx16, dgy, mask switch { "none" => null, "fp32" => dy32mask, _ => dy16mask }, mask == "bf16",
                        dgamma, dmean, dinv, grad16, narrow.Mean, narrow.InvStd, n, c, hw, splits);
                    break;
            }
            Assert.That(grad16.ToArray<ushort>(), Is.EqualTo(Round(wide.Y.ToArray<float>())), $"dx, mask {mask}");
            Assert.That(narrow.Mean.ToArray<float>(), Is.EqualTo(wide.Mean.ToArray<float>()), $"dγ, mask {mask}");
            Assert.That(narrow.InvStd.ToArray<float>(), Is.EqualTo(wide.InvStd.ToArray<float>()), $"dβ, mask {mask}");
            if (mask == "residual") Assert.That(narrow.Residual.ToArray<float>(), Is.EqualTo(wide.Residual.ToArray<float>()), "dresidual");
            wide.Dispose();
            narrow.Dispose();
        }
    }

    // relu(bn(x) + residual) with y stored in bf16 (a block's output that only convolutions read): y the
    // rounding of the bf16-input kernels' y, statistics theirs; the backward reading that y as its mask
    // (dx fp32 or bf16) gives what the fp32-mask backward gives on it widened.
    [TestCase(3, 5, 37, 0)]
    [TestCase(4, 3, 300, 3)]
    public void BatchNormAddReluStoresBf16OutputAsTheRoundedFp32(int n, int c, int hw, int splits)
    {
        using var k = new BatchNormKernels(Driver);
        if (splits == 0) splits = BatchNormKernels.Splits(n, c, hw);
        int count = n * c * hw;
        var x16 = Round(Data(count, 31, -3f, 3f));
        float[] res = Data(count, 32), gamma = Data(c, 33, 0.5f, 1.5f), beta = Data(c, 34), gy = Data(count, 35);
        float[] rm = Data(c, 36), rv = Data(c, 37, 0.5f, 2f);
        using var dx16 = Up(x16);
        using var dres = Up(res);
        using var dgamma = Up(gamma);
        using var dbeta = Up(beta);
        using var dgy = Up(gy);
        using var drm = Up(rm);
        using var drv = Up(rv);
        var wide = new Outputs(this, count, c);
        var narrow = new Outputs(this, count, c);
        using var y16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
        k.BatchNormAddReluForwardTrainingBf16Input(dx16, dres, dgamma, dbeta, wide.Y, wide.Mean, wide.InvStd, wide.RunningMean, wide.RunningVar, n, c, hw, 0.1f, 1e-5f, splits);
        k.BatchNormAddReluForwardTrainingBf16InputOutput(dx16, dres, dgamma, dbeta, y16, narrow.Mean, narrow.InvStd, narrow.RunningMean, narrow.RunningVar, n, c, hw, 0.1f, 1e-5f, splits);
        var stored = y16.ToArray<ushort>();
        Assert.That(stored, Is.EqualTo(Round(wide.Y.ToArray<float>())), "y");
        foreach (var (a, b, what) in new[] { (narrow.Mean, wide.Mean, "mean"), (narrow.InvStd, wide.InvStd, "1/σ"), (narrow.RunningMean, wide.RunningMean, "running mean"), (narrow.RunningVar, wide.RunningVar, "running var") })
            Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()), what);
        Assert.That(stored.Count(v => v == 0), Is.GreaterThan(count / 10), "the mask has zeros to apply");

        using var mask32 = Up(Widen(stored));
        var expected = new Outputs(this, count, c);
        k.BatchNormAddReluBackwardBf16Input(dx16, dgy, mask32, dgamma, wide.Mean, wide.InvStd, expected.Y, expected.Residual, expected.Mean, expected.InvStd, n, c, hw, splits);
        var fp32Dx = new Outputs(this, count, c);
        k.BatchNormAddReluBackwardBf16InputOutput(dx16, dgy, y16, dgamma, wide.Mean, wide.InvStd, fp32Dx.Y, fp32Dx.Residual, fp32Dx.Mean, fp32Dx.InvStd, n, c, hw, splits);
        var bf16Dx = new Outputs(this, count, c);
        using var dxOut16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
        k.BatchNormAddReluBackwardBf16Gradient(dx16, dgy, y16, true, dgamma, wide.Mean, wide.InvStd, dxOut16, bf16Dx.Residual, bf16Dx.Mean, bf16Dx.InvStd, n, c, hw, splits);
        Assert.That(fp32Dx.Y.ToArray<float>(), Is.EqualTo(expected.Y.ToArray<float>()), "dx, bf16 mask");
        Assert.That(dxOut16.ToArray<ushort>(), Is.EqualTo(Round(expected.Y.ToArray<float>())), "dx stored in bf16, bf16 mask");
        foreach (var o in new[] { fp32Dx, bf16Dx })
            foreach (var (a, b, what) in new[] { (o.Residual, expected.Residual, "dresidual"), (o.Mean, expected.Mean, "dγ"), (o.InvStd, expected.InvStd, "dβ") })
                Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()), what);
        foreach (var o in new[] { wide, narrow, expected, fp32Dx, bf16Dx }) o.Dispose();

        using var yInf32 = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var yInf16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
        k.BatchNormAddReluForwardInferenceBf16Input(dx16, dres, dgamma, dbeta, yInf32, drm, drv, n, c, hw, 1e-5f);
        k.BatchNormAddReluForwardInferenceBf16InputOutput(dx16, dres, dgamma, dbeta, yInf16, drm, drv, n, c, hw, 1e-5f);
        Assert.That(yInf16.ToArray<ushort>(), Is.EqualTo(Round(yInf32.ToArray<float>())), "inference");
    }

    [TestCase(3, 5, 37)]
    [TestCase(33, 7, 1)]
    public void BatchNormInferenceStoresBf16OutputAsTheRoundedFp32(int n, int c, int hw)
    {
        using var k = new BatchNormKernels(Driver);
        int count = n * c * hw;
        var x16 = Round(Data(count, 15, -40f, 40f));
        float[] gamma = Data(c, 16, 0.5f, 1.5f), beta = Data(c, 17), rm = Data(c, 18), rv = Data(c, 19, 0.5f, 2f);
        using var dx16 = Up(x16);
        using var dg = Up(gamma);
        using var db = Up(beta);
        using var drm = Up(rm);
        using var drv = Up(rv);
        using var y32 = Up(Enumerable.Repeat(float.NaN, count).ToArray());
        using var y16 = Up(Enumerable.Repeat((ushort)0x7fc1, count).ToArray());
        foreach (bool relu in new[] { false, true })
        {
            k.BatchNormForwardInferenceBf16Input(dx16, dg, db, y32, drm, drv, n, c, hw, 1e-5f, relu);
            k.BatchNormForwardInferenceBf16InputOutput(dx16, dg, db, y16, drm, drv, n, c, hw, 1e-5f, relu);
            Assert.That(y16.ToArray<ushort>(), Is.EqualTo(Round(y32.ToArray<float>())), $"relu {relu}");
        }
    }

    /// <summary>Output buffers of one batch-norm launch sequence: count-long Y and Residual, c-long statistics; NaN-filled except the running statistics (0 and 1).</summary>
    private sealed class Outputs : IDisposable
    {
        public readonly DeviceBuffer Y, Residual, Mean, InvStd, RunningMean, RunningVar;

        public Outputs(Bf16ActivationKernelTests t, int count, int c)
        {
            Y = t.Up(Enumerable.Repeat(float.NaN, count).ToArray());
            Residual = t.Up(Enumerable.Repeat(float.NaN, count).ToArray());
            Mean = t.Up(Enumerable.Repeat(float.NaN, c).ToArray());
            InvStd = t.Up(Enumerable.Repeat(float.NaN, c).ToArray());
            RunningMean = t.Up(new float[c]);
            RunningVar = t.Up(Enumerable.Repeat(1f, c).ToArray());
        }

        public float[][] Read()
        {
            var r = new[] { Y, Residual, Mean, InvStd, RunningMean, RunningVar }.Select(b => b.ToArray<float>()).ToArray();
            Dispose();
            return r;
        }

        public void Dispose()
        {
            foreach (var b in new[] { Y, Residual, Mean, InvStd, RunningMean, RunningVar }) b.Dispose();
        }
    }
}
