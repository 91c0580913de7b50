using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// Finite-difference checks of batch norm (GradCheck's default tolerances). With the fused
/// ReLU the inputs are built so no output sits near the kink: each channel holds an even
/// number of evenly spaced values, so x̂ is symmetric about 0 with |x̂| ≥ half a spacing
/// (≥ 0.1 here), β is 0, and a perturbation of h = 0.01 moves x̂ by far less than that.
/// </summary>
public class BatchNormGradTests
{
    /// <summary>x [n, c, h, w] (or [n, c] when oneD, h = w = 1) whose channel ch holds a permutation of evenly spaced values, scaled per channel.</summary>
    private static Tensor ChannelSpread(int seed, int n, int c, int h, int w, bool oneD = false)
    {
        int hw = h * w, per = n * hw;
        var data = new float[n * c * hw];
        for (int ch = 0; ch < c; ch++)
        {
            var values = TestData.Spread(seed + ch, per, 1f);
            float scale = 0.3f + 0.2f * ch, shift = 0.5f * ch - 0.4f;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < hw; j++)
                    data[(i * c + ch) * hw + j] = values[i * hw + j] * scale + shift;
        }
        return oneD ? Tensor.FromArray(Cpu, data, n, c) : Tensor.FromArray(Cpu, data, n, c, h, w);
    }

    private static Tensor[] Params(int c, bool zeroBeta)
    {
        var gamma = Random(20, 0.5f, 1.5f, c);
        var beta = zeroBeta ? Tensor.Zeros(Cpu, c) : Random(21, -0.5f, 0.5f, c);
        return [gamma, beta];
    }

    private static Func<Tensor[], Tensor> Bn(int c, bool training, bool relu)
    {
        var runningMean = Random(22, -0.2f, 0.2f, c);
        var runningVar = Random(23, 0.5f, 1.5f, c);
        return x => Op.BatchNorm(x[0], x[1], x[2], runningMean, runningVar, training, relu: relu);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BatchNorm2dTraining(bool relu)
    {
        var x = ChannelSpread(30, 2, 3, 2, 3);
        GradCheck.Check(Bn(3, true, relu), [x, .. Params(3, zeroBeta: relu)]);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BatchNorm1dTraining(bool relu)
    {
        var x = ChannelSpread(40, 6, 4, 1, 1, oneD: true); // [6, 4]
        GradCheck.Check(Bn(4, true, relu), [x, .. Params(4, zeroBeta: relu)]);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BatchNorm2dEval(bool relu)
    {
        // Eval mode with running mean 0, var 1, β = 0: y ≈ γ·x, so x from Spread (|x| ≥ 0.0625) keeps away from the kink.
        int c = 2;
        var x = Tensor.FromArray(Cpu, TestData.Spread(50, 3 * c * 4, 0.25f), 3, c, 2, 2);
        var runningMean = Tensor.Zeros(Cpu, c);
        var runningVar = Tensor.Full(Cpu, 1f, c);
        GradCheck.Check(t => Op.BatchNorm(t[0], t[1], t[2], runningMean, runningVar, training: false, relu: relu),
            [x, .. Params(c, zeroBeta: true)]);
    }

    [Test]
    public void BatchNormEvalGradientWithShiftedStats() =>
        GradCheck.Check(Bn(3, false, false), [Random(60, -1, 1, 4, 3, 2, 1), .. Params(3, zeroBeta: false)]);

    [Test]
    public void TrainingUpdatesRunningStatsOutsideTheGraph()
    {
        var x = ChannelSpread(70, 4, 2, 1, 1);
        var runningMean = Tensor.Zeros(Cpu, 2);
        var runningVar = Tensor.Full(Cpu, 1f, 2);
        var gamma = Tensor.Full(Cpu, 1f, 2);
        var beta = Tensor.Zeros(Cpu, 2);
        gamma.RequiresGrad = true;
        Op.BatchNorm(x, gamma, beta, runningMean, runningVar, training: true, momentum: 0.25f);
        Tape.Clear();
        var xs = x.ToArray();
        for (int ch = 0; ch < 2; ch++)
        {
            var v = Enumerable.Range(0, 4).Select(i => (double)xs[i * 2 + ch]).ToArray();
            double mean = v.Average(), unbiased = v.Sum(a => (a - mean) * (a - mean)) / 3;
            Assert.That(runningMean.ToArray()[ch], Is.EqualTo(0.25 * mean).Within(1e-6));
            Assert.That(runningVar.ToArray()[ch], Is.EqualTo(0.75 + 0.25 * unbiased).Within(1e-5));
        }
        Assert.That(runningMean.RequiresGrad || runningVar.RequiresGrad, Is.False);
    }

    [Test]
    public void TrainingRejectsASingleValuePerChannel()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Op.BatchNorm(Random(1, -1, 1, 1, 3), Tensor.Full(Cpu, 1f, 3), Tensor.Zeros(Cpu, 3), Tensor.Zeros(Cpu, 3), Tensor.Full(Cpu, 1f, 3), training: true));
        Assert.That(ex!.Message, Does.Contain("more than one value"));
    }
}
