using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends;

/// <summary>Batch norm statistics, pooling and L2 normalisation of the cpu backend against hand-worked values.</summary>
public class NormPoolTests
{
    private static CpuBackend Cpu => CpuBackend.Instance;
    private static Tensor T(params float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    [Test]
    public void BatchNormTrainingUpdatesRunningStatsLikePyTorch()
    {
        using var scope = TensorScope.Begin();
        // x viewed as [n=2, c=2, hw=2]: channel 0 holds {1, 2, 3, 6}, channel 1 holds {−1, −1, 1, 1}.
        var x = T(1, 2, -1, -1, 3, 6, 1, 1);
        var gamma = T(2f, 1f);
        var beta = T(0.5f, 0f);
        var y = Tensor.Empty(Cpu, 8);
        Tensor mean = Tensor.Empty(Cpu, 2), invStd = Tensor.Empty(Cpu, 2);
        var runningMean = T(0.5f, 0f);
        var runningVar = T(2f, 1f);
        const float eps = 1e-5f;
        Cpu.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd, runningMean, runningVar, 2, 2, 2, momentum: 0.1f, eps, relu: false);

        // Channel 0: μ = 3, biased σ² = (4+1+0+9)/4 = 3.5, unbiased = 14/3.
        // Channel 1: μ = 0, biased σ² = 1, unbiased = 4/3.
        Assert.That(mean.ToArray(), Is.EqualTo(new[] { 3f, 0f }).Within(1e-6f));
        Assert.That(invStd.ToArray(), Is.EqualTo(new[] { 1 / MathF.Sqrt(3.5f + eps), 1 / MathF.Sqrt(1f + eps) }).Within(1e-6f));
        // running ← 0.9·running + 0.1·stat.
        Assert.That(runningMean.ToArray(), Is.EqualTo(new[] { 0.9f * 0.5f + 0.1f * 3f, 0f }).Within(1e-6f));
        Assert.That(runningVar.ToArray(), Is.EqualTo(new[] { 0.9f * 2f + 0.1f * 14f / 3f, 0.9f * 1f + 0.1f * 4f / 3f }).Within(1e-6f));
        float s0 = 2f / MathF.Sqrt(3.5f + eps), s1 = 1f / MathF.Sqrt(1f + eps);
        var expectedY = new[] { (1 - 3) * s0 + 0.5f, (2 - 3) * s0 + 0.5f, -s1, -s1, (3 - 3) * s0 + 0.5f, (6 - 3) * s0 + 0.5f, s1, s1 };
        Assert.That(y.ToArray(), Is.EqualTo(expectedY).Within(1e-5f));

        // Fused ReLU clamps the same outputs at 0.
        Cpu.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd, runningMean, runningVar, 2, 2, 2, 0.1f, eps, relu: true);
        Assert.That(y.ToArray(), Is.EqualTo(expectedY.Select(v => MathF.Max(v, 0f)).ToArray()).Within(1e-5f));
    }

    [Test]
    public void BatchNormInferenceUsesRunningStats()
    {
        using var scope = TensorScope.Begin();
        var x = T(1, 2, 3, 4, 5, 6); // [n=3, c=2, hw=1]
        var y = Tensor.Empty(Cpu, 6);
        Cpu.BatchNormForwardInference(x, T(2f, -1f), T(0.5f, 0.25f), y, T(1f, 4f), T(4f, 0.25f), 3, 2, 1, 0f, relu: false);
        // channel 0: 2·(x−1)/2 + 0.5; channel 1: −(x−4)/0.5 + 0.25.
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0.5f, 4.25f, 2.5f, 0.25f, 4.5f, -3.75f }).Within(1e-6f));
    }

    [Test]
    public void MaxPoolPicksWindowMaximaAndRoutesGradients()
    {
        using var scope = TensorScope.Begin();
        // One 3x4 plane, kernel 2 stride 2 padding 1 → 2x3 output windows.
        var x = Tensor.FromArray(Cpu, new float[] { 1, 9, 2, 3,
                                                    4, 5, 8, 7,
                                                    6, 0, -1, 10 }, 1, 1, 3, 4);
        var g = new Pool2dGeometry(1, 1, 3, 4, 2, 2, 1);
        var y = Tensor.Empty(Cpu, 1, 1, g.P, g.Q);
        var arg = IntTensor.Empty(Cpu, 1, 1, g.P, g.Q);
        Cpu.MaxPool2dForward(x, y, arg, g);
        // Windows (rows, cols): [−1..0]×[−1..0] → 1; [−1..0]×[1..2] → 9; [−1..0]×[3..4] → 3;
        // [1..2]×[−1..0] → 6; [1..2]×[1..2] → 8; [1..2]×[3..4] → 10.
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 9f, 3f, 6f, 8f, 10f }));
        Assert.That(arg.ToArray(), Is.EqualTo(new[] { 0, 1, 3, 8, 6, 11 }));
        var dx = Tensor.Empty(Cpu, 1, 1, 3, 4);
        Cpu.MaxPool2dBackward(T(1, 2, 3, 4, 5, 6), arg, dx, g);
        Assert.That(dx.ToArray(), Is.EqualTo(new[] { 1f, 2, 0, 3, 0, 0, 5, 0, 4, 0, 0, 6 }));
    }

    [Test]
    public void GlobalAvgPoolAveragesPlanes()
    {
        using var scope = TensorScope.Begin();
        var x = T(1, 2, 3, 4, 10, 20, 30, 40);
        var y = Tensor.Empty(Cpu, 2);
        Cpu.GlobalAvgPoolForward(x, y, 1, 2, 4);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 2.5f, 25f }));
        var dx = Tensor.Empty(Cpu, 8);
        Cpu.GlobalAvgPoolBackward(T(4, 8), dx, 1, 2, 4);
        Assert.That(dx.ToArray(), Is.EqualTo(new[] { 1f, 1, 1, 1, 2, 2, 2, 2 }));
    }

    [Test]
    public void L2NormalizeRowsGivesUnitRowsAndClampsTinyNorms()
    {
        using var scope = TensorScope.Begin();
        var x = T(3, 4, 0, 0, 0, 0);
        var y = Tensor.Empty(Cpu, 6);
        var norms = Tensor.Empty(Cpu, 2);
        Cpu.L2NormalizeRows(x, y, norms, 2, 3, 1e-12f);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0.6f, 0.8f, 0f, 0f, 0f, 0f }).Within(1e-7f));
        Assert.That(norms.ToArray(), Is.EqualTo(new[] { 5f, 1e-12f }));
    }
}
