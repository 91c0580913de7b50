using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// Ops.BatchNormAddRelu = relu(BatchNorm(x) + residual) (ResNet's block ending). Finite-difference
/// checks on the cpu with the residual set to twice the initial batch-norm output, so every sum
/// sits at least 3·min|γx̂| from the ReLU's kink (β = 0; see BatchNormGradTests for the x̂ margin);
/// and the fused op equal to the unfused composition Relu(Add(BatchNorm(x), residual)) — value,
/// the four gradients and the running statistics — on the cpu and on emu, in both modes.
/// </summary>
public class BatchNormAddReluTests
{
    private static Tensor Spread2d(int seed, int n, int c, int hw)
    {
        var data = new float[n * c * hw];
        for (int ch = 0; ch < c; ch++)
        {
            var values = TestData.Spread(seed + ch, n * hw, 1f);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < hw; j++)
                    data[(i * c + ch) * hw + j] = values[i * hw + j] * (0.3f + 0.2f * ch) + 0.5f * ch - 0.4f;
        }
        return hw == 1 ? Tensor.FromArray(Cpu, data, n, c) : Tensor.FromArray(Cpu, data, n, c, 2, hw / 2);
    }

    /// <summary>2·BatchNorm(x) with the given statistics copies, no gradient: a residual far from cancelling bn(x).</summary>
    private static Tensor AwayFromKink(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, bool training)
    {
        using var _ = Tape.NoGrad();
        var y = Op.BatchNorm(x, gamma, beta, rm.Clone(), rv.Clone(), training);
        var twice = y.ToArray().Select(v => 2f * v).ToArray();
        return Tensor.FromArray(Cpu, twice, x.Shape);
    }

    [TestCase(true, false)]
    [TestCase(true, true)]
    [TestCase(false, false)]
    public void GradientMatchesFiniteDifferences(bool training, bool oneD)
    {
        int c = oneD ? 4 : 3;
        var x = oneD ? Spread2d(40, 6, c, 1) : Spread2d(30, 2, c, 6);
        var gamma = Random(20, 0.5f, 1.5f, c);
        var beta = Tensor.Zeros(Cpu, c);
        var rm = training ? Random(22, -0.2f, 0.2f, c) : Tensor.Zeros(Cpu, c);
        var rv = training ? Random(23, 0.5f, 1.5f, c) : Tensor.Full(Cpu, 1f, c);
        var residual = AwayFromKink(x, gamma, beta, rm, rv, training);
        GradCheck.Check(t => Op.BatchNormAddRelu(t[0], t[1], t[2], t[3], rm, rv, training), [x, residual, gamma, beta]);
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in new[] { "cpu", "emu" })
            foreach (bool training in new[] { true, false })
            {
                yield return new TestCaseData(device, training, new[] { 3, 5, 7, 3 }).SetName($"{{m}}({device}, training {training}, 3x5x7x3)");
                yield return new TestCaseData(device, training, new[] { 9, 6 }).SetName($"{{m}}({device}, training {training}, 9x6)");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void FusedEqualsUnfusedComposition(string device, bool training, int[] shape)
    {
        var be = EmuDevice.ByName(device);
        using var scope = TensorScope.Begin();
        int c = shape[1], count = shape.Aggregate(1, (a, b) => a * b);
        Tensor Up(float[] v, params int[] s) => Tensor.FromArray(be, v, s);
        float[] x0 = EmuKernelTest.Data(count, 1), r0 = EmuKernelTest.Data(count, 2), g0 = EmuKernelTest.Data(c, 3, 0.5f, 1.5f),
                b0 = EmuKernelTest.Data(c, 4, -0.5f, 0.5f), w0 = EmuKernelTest.Data(count, 5), rm0 = EmuKernelTest.Data(c, 6, -0.3f, 0.3f),
                rv0 = EmuKernelTest.Data(c, 7, 0.5f, 2f);

        (float[] y, float[][] grads, float[] rm, float[] rv) Run(bool fused)
        {
            Tensor x = Up(x0, shape), r = Up(r0, shape), g = Up(g0, c), b = Up(b0, c), rm = Up(rm0, c), rv = Up(rv0, c);
            foreach (var t in new[] { x, r, g, b }) t.RequiresGrad = true;
            var y = fused
                ? Op.BatchNormAddRelu(x, r, g, b, rm, rv, training)
                : Op.Relu(Op.Add(Op.BatchNorm(x, g, b, rm, rv, training), r));
            Tape.Backward(Op.Sum(Op.Mul(y, Up(w0, shape))));
            return (y.ToArray(), [x.Grad!.ToArray(), r.Grad!.ToArray(), g.Grad!.ToArray(), b.Grad!.ToArray()], rm.ToArray(), rv.ToArray());
        }

        var unfused = Run(false);
        var fusedRun = Run(true);
        Close.Assert(unfused.y, fusedRun.y, 1e-6f, 1e-6f, "y");
        string[] names = ["dx", "dresidual", "dgamma", "dbeta"];
        for (int i = 0; i < 4; i++) Close.Assert(unfused.grads[i], fusedRun.grads[i], 1e-5f, 1e-5f, names[i]);
        Assert.That(fusedRun.rm, Is.EqualTo(unfused.rm), "running mean");
        Assert.That(fusedRun.rv, Is.EqualTo(unfused.rv), "running var");
        Assert.That(unfused.y.Count(v => v == 0f), Is.GreaterThan(0).And.LessThan(count), "the ReLU masks some outputs and keeps others");
    }

    [Test]
    public void RejectsAResidualOfAnotherShape()
    {
        var x = Random(1, -1, 1, 2, 3, 2, 2);
        Assert.Throws<ArgumentException>(() => Op.BatchNormAddRelu(x, Random(2, -1, 1, 2, 3, 4), Tensor.Full(Cpu, 1f, 3), Tensor.Zeros(Cpu, 3),
            Tensor.Zeros(Cpu, 3), Tensor.Full(Cpu, 1f, 3), training: true));
    }
}
