using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// Ops.Conv2dBatchNorm, batch norm of a convolution. In training at bf16 it must equal, bit for bit,
/// the composition whose convolution output is rounded to bf16 with the gradient passed straight
/// through (Conv2d → StraightThrough(round) → BatchNorm / BatchNormAddRelu): value, the gradients of
/// x, weight, bias, γ, β and the residual, and the running statistics — on the cpu and on emu. Those
/// pieces are each gradient-checked by finite differences (ConvPoolGradTests, BatchNormGradTests,
/// BatchNormAddReluTests); a finite-difference check of the rounded op itself would measure the
/// rounding steps, not the gradient. In eval mode without gradients at bf16 it equals the rounded
/// composition too; elsewhere (fp32, tf32, eval mode with gradients) it is Conv2d then batch norm, exactly.
/// </summary>
public class Conv2dBatchNormTests
{
    public enum Ending { None, Relu, AddRelu }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in new[] { "cpu", "emu" })
            foreach (var ending in new[] { Ending.None, Ending.Relu, Ending.AddRelu })
                foreach (bool bias in new[] { false, true })
                    yield return new TestCaseData(device, ending, bias).SetName($"{{m}}({device}, {ending}, bias {bias})");
    }

    private sealed record Result(float[] Y, float[][] Grads, float[] RunningMean, float[] RunningVar);

    /// <summary>A stride-2 3×3 convolution of [3, 5, 9, 7] to 6 channels, then batch norm as <paramref name="ending"/> says; y·w summed, back-propagated.</summary>
    private static Result Run(IBackend be, Ending ending, bool withBias, bool training, Func<Tensor, Tensor, Tensor?, Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor> net)
    {
        using var scope = TensorScope.Begin();
        int[] xs = [3, 5, 9, 7], ws = [6, 5, 3, 3], ys = [3, 6, 5, 4];
        int c = 6, count = ys.Aggregate(1, (a, b) => a * b);
        Tensor Up(float[] v, params int[] s) => Tensor.FromArray(be, v, s);
        Tensor x = Up(EmuKernelTest.Data(3 * 5 * 9 * 7, 1), xs), w = Up(EmuKernelTest.Data(6 * 5 * 9, 2, -0.3f, 0.3f), ws),
               g = Up(EmuKernelTest.Data(c, 3, 0.5f, 1.5f), c), b = Up(EmuKernelTest.Data(c, 4, -0.5f, 0.5f), c),
               rm = Up(EmuKernelTest.Data(c, 5, -0.3f, 0.3f), c), rv = Up(EmuKernelTest.Data(c, 6, 0.5f, 2f), c);
        Tensor? bias = withBias ? Up(EmuKernelTest.Data(c, 7), c) : null;
        Tensor? r = ending == Ending.AddRelu ? Up(EmuKernelTest.Data(count, 8), ys) : null;
        var inputs = new[] { x, w, g, b }.Concat(new[] { bias, r }.OfType<Tensor>()).ToArray();
        foreach (var t in inputs) t.RequiresGrad = true;
        var y = net(x, w, bias, g, b, rm, rv, r);
        Tape.Backward(Op.Sum(Op.Mul(y, Up(EmuKernelTest.Data(count, 9), ys))));
        return new Result(y.ToArray(), inputs.Select(t => t.Grad!.ToArray()).ToArray(), rm.ToArray(), rv.ToArray());
    }

    private static Tensor Fused(Ending ending, bool training, Tensor x, Tensor w, Tensor? bias, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor? r) =>
        Op.Conv2dBatchNorm(x, w, bias, 2, 1, g, b, rm, rv, training, relu: ending == Ending.Relu, residual: r);

    /// <summary>Conv2d, then <paramref name="storeConv"/> applied to its output, then batch norm.</summary>
    private static Tensor Composed(Ending ending, bool training, Func<Tensor, Tensor> storeConv,
                                   Tensor x, Tensor w, Tensor? bias, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor? r)
    {
        var z = storeConv(Op.Conv2d(x, w, bias, 2, 1));
        return r is null ? Op.BatchNorm(z, g, b, rm, rv, training, relu: ending == Ending.Relu) : Op.BatchNormAddRelu(z, r, g, b, rm, rv, training);
    }

    /// <summary>z rounded to bf16 in the forward pass, the gradient passed to z unchanged.</summary>
    private static Tensor RoundedStraightThrough(Tensor z)
    {
        var rounded = Array.ConvertAll(z.ToArray(), PrecisionRounding.Bf16);
        return Op.StraightThrough(z, Tensor.FromArray(z.Backend, rounded, z.Shape));
    }

    private static void AssertEqual(Result expected, Result actual, string what)
    {
        Assert.That(actual.Y, Is.EqualTo(expected.Y), $"{what}: y");
        for (int i = 0; i < expected.Grads.Length; i++) Assert.That(actual.Grads[i], Is.EqualTo(expected.Grads[i]), $"{what}: gradient of input {i}");
        Assert.That(actual.RunningMean, Is.EqualTo(expected.RunningMean), $"{what}: running mean");
        Assert.That(actual.RunningVar, Is.EqualTo(expected.RunningVar), $"{what}: running var");
    }

    [TestCaseSource(nameof(Cases))]
    public void Bf16TrainingNormalisesTheConvOutputRoundedToBf16(string device, Ending ending, bool bias)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        var fused = Run(be, ending, bias, true, (x, w, bi, g, b, rm, rv, r) => Fused(ending, true, x, w, bi, g, b, rm, rv, r));
        var rounded = Run(be, ending, bias, true, (x, w, bi, g, b, rm, rv, r) => Composed(ending, true, RoundedStraightThrough, x, w, bi, g, b, rm, rv, r));
        AssertEqual(rounded, fused, "against the rounded composition");
        var unrounded = Run(be, ending, bias, true, (x, w, bi, g, b, rm, rv, r) => Composed(ending, true, z => z, x, w, bi, g, b, rm, rv, r));
        Assert.That(fused.Y, Is.Not.EqualTo(unrounded.Y), "the convolution output was stored in bf16, not fp32");
    }

    [TestCase("cpu")]
    [TestCase("emu")]
    public void Bf16EvalWithoutGradientsNormalisesTheConvOutputRoundedToBf16(string device)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        foreach (var ending in new[] { Ending.None, Ending.Relu, Ending.AddRelu })
        {
            using var scope = TensorScope.Begin();
            using var noGrad = Tape.NoGrad();
            int[] xs = [2, 5, 9, 7], ys = [2, 6, 5, 4];
            Tensor Up(float[] v, params int[] s) => Tensor.FromArray(be, v, s);
            Tensor x = Up(EmuKernelTest.Data(2 * 5 * 9 * 7, 1), xs), w = Up(EmuKernelTest.Data(6 * 5 * 9, 2, -0.3f, 0.3f), 6, 5, 3, 3),
                   g = Up(EmuKernelTest.Data(6, 3, 0.5f, 1.5f), 6), b = Up(EmuKernelTest.Data(6, 4, -0.5f, 0.5f), 6),
                   rm = Up(EmuKernelTest.Data(6, 5, -0.3f, 0.3f), 6), rv = Up(EmuKernelTest.Data(6, 6, 0.5f, 2f), 6);
            Tensor? r = ending == Ending.AddRelu ? Up(EmuKernelTest.Data(2 * 6 * 5 * 4, 8), ys) : null;
            var fused = Fused(ending, false, x, w, null, g, b, rm, rv, r).ToArray();
            var rounded = Composed(ending, false, RoundedStraightThrough, x, w, null, g, b, rm, rv, r).ToArray();
            var unrounded = Composed(ending, false, z => z, x, w, null, g, b, rm, rv, r).ToArray();
            Assert.That(fused, Is.EqualTo(rounded), $"{ending}: against the rounded composition");
            Assert.That(fused, Is.Not.EqualTo(unrounded), $"{ending}: the convolution output was stored in bf16");
        }
    }

    [TestCase("cpu", Precision.Fp32, true)]
    [TestCase("cpu", Precision.Tf32, true)]
    [TestCase("cpu", Precision.Bf16, false)]
    [TestCase("emu", Precision.Tf32, true)]
    [TestCase("emu", Precision.Bf16, false)]
    public void ElsewhereItIsConvThenBatchNorm(string device, Precision precision, bool training)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, precision);
        foreach (var ending in new[] { Ending.Relu, Ending.AddRelu })
            AssertEqual(Run(be, ending, false, training, (x, w, bi, g, b, rm, rv, r) => Composed(ending, training, z => z, x, w, bi, g, b, rm, rv, r)),
                Run(be, ending, false, training, (x, w, bi, g, b, rm, rv, r) => Fused(ending, training, x, w, bi, g, b, rm, rv, r)), $"{ending}");
    }

    [Test]
    public void RejectsReluWithAResidualAndAResidualOfAnotherShape()
    {
        var be = CpuBackend.Instance;
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(be, 2, 3, 4, 4);
        var w = Tensor.Zeros(be, 5, 3, 3, 3);
        Tensor ones = Tensor.Full(be, 1f, 5), zeros = Tensor.Zeros(be, 5);
        var e = Assert.Throws<ArgumentException>(() => Op.Conv2dBatchNorm(x, w, null, 1, 1, ones, zeros, zeros, ones, true, relu: true, residual: Tensor.Zeros(be, 2, 5, 4, 4)));
        Assert.That(e!.Message, Does.Contain("relu must be false"));
        e = Assert.Throws<ArgumentException>(() => Op.Conv2dBatchNorm(x, w, null, 1, 1, ones, zeros, zeros, ones, true, residual: Tensor.Zeros(be, 2, 5, 2, 2)));
        Assert.That(e!.Message, Does.Contain("residual [2,5,2,2] must have x's shape [2,5,4,4]"));
    }

    [Test]
    public void SequentialRunsAConvAndTheBatchNormAfterItAsOneOp()
    {
        var be = CpuBackend.Instance;
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        var rng = new RandomStream(3, 0);
        var conv = new Conv2d(be, 3, 4, 3, rng, padding: 1, bias: false);
        using var seq = new Sequential(be, conv, new BatchNorm(be, 4), new Relu(be));
        using var separate = new BatchNorm(be, 4);
        var x = Tensor.FromArray(be, EmuKernelTest.Data(2 * 3 * 5 * 5, 1), 2, 3, 5, 5);
        var viaSequential = seq.Forward(x).ToArray();
        var viaForwardConv = Op.Relu(((BatchNorm)seq[1]).ForwardConv(conv, x)).ToArray();
        var unfused = Op.Relu(separate.Forward(conv.Forward(x))).ToArray();
        Assert.That(viaSequential, Is.EqualTo(viaForwardConv));
        Assert.That(viaSequential, Is.Not.EqualTo(unfused), "unfused, the convolution output stays fp32");
    }
}
