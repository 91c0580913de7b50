using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// Ops.Conv2dBatchNormForConv, a BN(+ReLU) output that only the next convolution reads. At bf16 (in
/// training, and in eval mode without gradients) it is stored in bf16 (a Bf16Tensor; fp32 elsewhere),
/// and that loses nothing: the bf16 convolutions round their input to bf16 anyway (forward and backward
/// weight), and the stored y &gt; 0 is the ReLU mask y &gt; 0 of the fp32 output (rounding keeps a value's
/// sign and turns no fp32 value of these magnitudes into 0). So a chain conv₁ → BN₁+ReLU → conv₂ → BN₂
/// must equal, bit for bit, the same chain with BN₁'s output in fp32 (Conv2dBatchNorm throughout): the
/// value, the gradients of every input, and every layer's running statistics, on the cpu and on emu.
/// </summary>
public class Conv2dBatchNormForConvTests
{
    /// <summary>What follows BN₁+ReLU: conv₂ → BN₂ (+ReLU), conv₂ → BN₂ + residual → ReLU, or conv₂ → BN₂+ReLU stored for a conv₃ → BN₃.</summary>
    public enum Tail { Relu, AddRelu, ThirdConv }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in new[] { "cpu", "emu" })
            foreach (var tail in new[] { Tail.Relu, Tail.AddRelu, Tail.ThirdConv })
                yield return new TestCaseData(device, tail).SetName($"{{m}}({device}, {tail})");
    }

    /// <summary>The parameters of the three layers and the inputs, on one backend.</summary>
    private sealed class Net
    {
        public readonly Tensor X, W1, W2, W3, Bias1, Residual;
        public readonly Tensor[] Gamma = new Tensor[3], Beta = new Tensor[3], RunningMean = new Tensor[3], RunningVar = new Tensor[3];

        public Net(IBackend be, int n)
        {
            Tensor Up(float[] v, params int[] s) => Tensor.FromArray(be, v, s);
            X = Up(EmuKernelTest.Data(n * 3 * 9 * 7, 1), n, 3, 9, 7);
            W1 = Up(EmuKernelTest.Data(6 * 3 * 9, 2, -0.4f, 0.4f), 6, 3, 3, 3);
            Bias1 = Up(EmuKernelTest.Data(6, 3), 6);
            W2 = Up(EmuKernelTest.Data(5 * 6 * 9, 4, -0.3f, 0.3f), 5, 6, 3, 3);
            W3 = Up(EmuKernelTest.Data(4 * 5, 5, -0.5f, 0.5f), 4, 5, 1, 1);
            Residual = Up(EmuKernelTest.Data(n * 5 * 5 * 4, 6), n, 5, 5, 4);
            int[] channels = [6, 5, 4];
            for (int i = 0; i < 3; i++)
            {
                Gamma[i] = Up(EmuKernelTest.Data(channels[i], 10 + i, 0.5f, 1.5f), channels[i]);
                Beta[i] = Up(EmuKernelTest.Data(channels[i], 20 + i, -0.5f, 0.5f), channels[i]);
                RunningMean[i] = Up(EmuKernelTest.Data(channels[i], 30 + i, -0.3f, 0.3f), channels[i]);
                RunningVar[i] = Up(EmuKernelTest.Data(channels[i], 40 + i, 0.5f, 2f), channels[i]);
            }
        }

        public Tensor[] Inputs => [X, W1, W2, W3, Bias1, Residual, .. Gamma, .. Beta];

        /// <summary>
        /// The chain: layer 1 through <paramref name="inner"/> (x, w, bias, layer index, relu) whose output conv₂
        /// reads, then <paramref name="tail"/>; layer 2 of ThirdConv through <paramref name="inner"/> too.
        /// </summary>
        public Tensor Forward(Tail tail, bool training, Func<ConvInput, Tensor, Tensor?, int, bool, ConvInput> inner)
        {
            var h = inner(X, W1, Bias1, 0, true);
            Tensor Last(ConvInput x, Tensor w, int i, Tensor? residual, bool relu) =>
                Op.Conv2dBatchNorm(x, w, null, Stride(i), Padding(i), Gamma[i], Beta[i], RunningMean[i], RunningVar[i], training, relu: relu, residual: residual);
            return tail switch
            {
                Tail.Relu => Last(h, W2, 1, null, true),
                Tail.AddRelu => Last(h, W2, 1, Residual, false),
                _ => Last(inner(h, W2, null, 1, true), W3, 2, null, false),
            };
        }

        // Layer 1: 3×3 stride 2 (9×7 → 5×4); layer 2: 3×3 stride 1 padding 1; layer 3: 1×1.
        private static int Stride(int i) => i == 0 ? 2 : 1;
        private static int Padding(int i) => i == 2 ? 0 : 1;

        /// <summary>Layer i of <see cref="Forward"/> as the op under test.</summary>
        public ConvInput ForConv(bool training, ConvInput x, Tensor w, Tensor? bias, int i, bool relu) =>
            Op.Conv2dBatchNormForConv(x, w, bias, Stride(i), Padding(i), Gamma[i], Beta[i], RunningMean[i], RunningVar[i], training, relu: relu);

        /// <summary>Layer i of <see cref="Forward"/> with its output in fp32: Conv2dBatchNorm.</summary>
        public ConvInput Plain(bool training, ConvInput x, Tensor w, Tensor? bias, int i, bool relu) =>
            Op.Conv2dBatchNorm(x, w, bias, Stride(i), Padding(i), Gamma[i], Beta[i], RunningMean[i], RunningVar[i], training, relu: relu);
    }

    private sealed record Result(float[] Y, float[][] Grads, float[][] RunningStats);

    /// <summary>A fresh net on <paramref name="be"/>, every input requiring a gradient; the output·weights summed and back-propagated.</summary>
    private static Result Run(IBackend be, Tail tail, bool training, Func<Net, Func<ConvInput, Tensor, Tensor?, int, bool, ConvInput>> inner)
    {
        using var scope = TensorScope.Begin();
        var net = new Net(be, 3);
        foreach (var t in net.Inputs) t.RequiresGrad = true;
        var y = net.Forward(tail, training, inner(net));
        Tape.Backward(Op.Sum(Op.Mul(y, Tensor.FromArray(be, EmuKernelTest.Data(y.Length, 9), y.Shape))));
        return new Result(y.ToArray(), net.Inputs.Select(t => t.Grad?.ToArray() ?? []).ToArray(),
            net.RunningMean.Concat(net.RunningVar).Select(t => t.ToArray()).ToArray());
    }

    private static void AssertEqual(Result expected, Result actual)
    {
        Assert.That(actual.Y, Is.EqualTo(expected.Y), "y");
        for (int i = 0; i < expected.Grads.Length; i++) Assert.That(actual.Grads[i], Is.EqualTo(expected.Grads[i]), $"gradient of input {i}");
        for (int i = 0; i < expected.RunningStats.Length; i++) Assert.That(actual.RunningStats[i], Is.EqualTo(expected.RunningStats[i]), $"running statistic {i}");
    }

    [TestCaseSource(nameof(Cases))]
    public void Bf16TrainingLosesNothingByStoringBf16(string device, Tail tail)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        AssertEqual(Run(be, tail, true, net => (x, w, b, i, relu) => net.Plain(true, x, w, b, i, relu)),
            Run(be, tail, true, net => (x, w, b, i, relu) => net.ForConv(true, x, w, b, i, relu)));
    }

    [TestCase("cpu")]
    [TestCase("emu")]
    public void Bf16StoresBf16InTrainingAndInEvalWithoutGradientsOnly(string device)
    {
        var be = EmuDevice.ByName(device);
        using var scope = TensorScope.Begin();
        var net = new Net(be, 2);
        net.W1.RequiresGrad = true;
        using (Precisions.Use(be, Precision.Bf16))
        {
            Assert.That(net.ForConv(true, net.X, net.W1, null, 0, true).Bf16, Is.Not.Null, "bf16, training");
            Assert.That(net.ForConv(false, net.X, net.W1, null, 0, true).Fp32, Is.Not.Null, "bf16, eval mode with gradients");
            using (Tape.NoGrad()) Assert.That(net.ForConv(false, net.X, net.W1, null, 0, true).Bf16, Is.Not.Null, "bf16, eval mode without gradients");
        }
        foreach (var p in new[] { Precision.Fp32, Precision.Tf32 })
            using (Precisions.Use(be, p))
                Assert.That(net.ForConv(true, net.X, net.W1, null, 0, true).Fp32, Is.Not.Null, $"{p}, training");
        Tape.Clear();
    }

    [TestCase("cpu")]
    [TestCase("emu")]
    public void Bf16EvalWithoutGradientsLosesNothingByStoringBf16(string device)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        foreach (var tail in new[] { Tail.Relu, Tail.AddRelu, Tail.ThirdConv })
        {
            using var scope = TensorScope.Begin();
            using var noGrad = Tape.NoGrad();
            var net = new Net(be, 2);
            var stored = net.Forward(tail, false, (x, w, b, i, relu) => net.ForConv(false, x, w, b, i, relu)).ToArray();
            var plain = net.Forward(tail, false, (x, w, b, i, relu) => net.Plain(false, x, w, b, i, relu)).ToArray();
            Assert.That(stored, Is.EqualTo(plain), $"{tail}");
        }
    }

    /// <summary>
    /// A bf16 activation read by a layer that does not store bf16 (here: layer 2 in eval mode while
    /// gradients are wanted) goes through the plain convolution, which reads bf16 too.
    /// </summary>
    [TestCase("cpu")]
    [TestCase("emu")]
    public void ABf16OutputReadByAnEvalModeLayerWithGradients(string device)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        Result RunMixed(Func<Net, Func<ConvInput, Tensor, Tensor?, int, bool, ConvInput>> inner)
        {
            using var scope = TensorScope.Begin();
            var net = new Net(be, 2);
            foreach (var t in net.Inputs) t.RequiresGrad = true;
            var h = inner(net)(net.X, net.W1, net.Bias1, 0, true);
            var y = Op.Conv2dBatchNorm(h, net.W2, null, 1, 1, net.Gamma[1], net.Beta[1], net.RunningMean[1], net.RunningVar[1], training: false, relu: true);
            Tape.Backward(Op.Sum(Op.Mul(y, Tensor.FromArray(be, EmuKernelTest.Data(y.Length, 9), y.Shape))));
            var grads = net.Inputs.Select(t => t.Grad?.ToArray() ?? []).ToArray();
            return new Result(y.ToArray(), grads, net.RunningMean.Concat(net.RunningVar).Select(t => t.ToArray()).ToArray());
        }
        AssertEqual(RunMixed(net => (x, w, b, i, relu) => net.Plain(true, x, w, b, i, relu)),
            RunMixed(net => (x, w, b, i, relu) => net.ForConv(true, x, w, b, i, relu)));
    }

    [Test]
    public void AConvInputHoldsOneTensor()
    {
        var be = CpuBackend.Instance;
        using var scope = TensorScope.Begin();
        var h = ConvInput.FromBf16(Bf16Tensor.FromArray(be, [1f, -2f], 1, 2, 1, 1));
        Assert.That(h.Shape, Is.EqualTo(new[] { 1, 2, 1, 1 }));
        Assert.That((h.Fp32, h.RequiresGrad), Is.EqualTo(((Tensor?)null, false)));
        Assert.That(() => default(ConvInput).Shape, Throws.InvalidOperationException.With.Message.Contains("holds no tensor"));
    }
}
