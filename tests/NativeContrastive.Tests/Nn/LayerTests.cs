using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.NnTests;

/// <summary>Layers: parameter names and shapes, gradients through the layer, train/eval batch norm.</summary>
public class LayerTests
{
    private static RandomStream Rng(ulong seed = 1) => new(seed, StreamId.Of(StreamId.Init));

    [Test]
    public void Conv2dNamesShapesAndGradient()
    {
        using var conv = new Conv2d(Cpu, 2, 3, 3, Rng(), stride: 2, padding: 1, bias: true);
        Assert.That(conv.NamedParameters().Select(p => (p.Name, ShapeUtil.Format(p.Tensor.Shape))),
            Is.EqualTo(new[] { ("weight", "[3,2,3,3]"), ("bias", "[3]") }));
        // The layer's forward is the op with its own parameters: check ∂/∂x and ∂/∂W through it.
        GradCheck.Check(x => Ops.Conv2d(x[0], x[1], x[2], 2, 1),
            [Random(1, -1, 1, 2, 2, 5, 5), conv.Weight, conv.Bias!]);
        var y = conv.Forward(Random(2, -1, 1, 2, 2, 5, 5));
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 3, 3, 3 }));
    }

    [Test]
    public void Conv2dWithoutBiasHasOnlyWeight()
    {
        using var conv = new Conv2d(Cpu, 3, 4, 1, Rng(), bias: false);
        Assert.That(conv.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
    }

    [Test]
    public void LinearGradientThroughModule()
    {
        using var lin = new Linear(Cpu, 4, 3, Rng());
        var x = Random(3, -1, 1, 5, 4);
        GradCheck.Check(t => lin.Forward(t[0]), [x, lin.Weight, lin.Bias!]);
    }

    [Test]
    public void BatchNormNamesAndInitialValues()
    {
        using var bn = new BatchNorm(Cpu, 3);
        Assert.That(bn.StateDict().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias", "running_mean", "running_var" }));
        Assert.That(bn.Weight.ToArray(), Is.All.EqualTo(1f));
        Assert.That(bn.Bias.ToArray(), Is.All.EqualTo(0f));
        Assert.That(bn.RunningMean.ToArray(), Is.All.EqualTo(0f));
        Assert.That(bn.RunningVar.ToArray(), Is.All.EqualTo(1f));
        Assert.That(bn.Parameters().Count(), Is.EqualTo(2), "running stats are buffers, not parameters");
    }

    [Test]
    public void BatchNormTrainUsesBatchStatsAndUpdatesRunningOnesEvalUsesRunning()
    {
        using var bn = new BatchNorm(Cpu, 1);
        using var scope = TensorScope.Begin();
        // One channel, values 1, 2, 3, 4: μ = 2.5, biased σ² = 1.25, unbiased 5/3.
        var x = Tensor.FromArray(Cpu, [1f, 2f, 3f, 4f], 4, 1);
        var yTrain = bn.Forward(x).ToArray();
        double inv = 1 / Math.Sqrt(1.25 + 1e-5);
        Assert.That(yTrain, Is.EqualTo(new[] { -1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv }.Select(v => (float)v)).Within(1e-5f));
        Assert.That(bn.RunningMean.ToArray()[0], Is.EqualTo(0.1f * 2.5f).Within(1e-6f));
        Assert.That(bn.RunningVar.ToArray()[0], Is.EqualTo(0.9f + 0.1f * 5f / 3f).Within(1e-6f));

        bn.Eval();
        Assert.That(bn.IsTraining, Is.False);
        float rm = 0.25f, rv = 0.9f + 0.5f / 3f;
        var yEval = bn.Forward(x).ToArray();
        for (int i = 0; i < 4; i++)
            Assert.That(yEval[i], Is.EqualTo((i + 1 - rm) / MathF.Sqrt(rv + 1e-5f)).Within(1e-5f));
        Assert.That(bn.RunningMean.ToArray()[0], Is.EqualTo(0.25f).Within(1e-7f), "eval leaves running stats alone");
    }

    [Test]
    public void BatchNormFusedReluClampsNegatives()
    {
        using var bn = new BatchNorm(Cpu, 2, fusedRelu: true);
        using var scope = TensorScope.Begin();
        var y = bn.Forward(Random(4, -1, 1, 3, 2, 2, 2)).ToArray();
        Assert.That(y, Is.All.GreaterThanOrEqualTo(0f));
        Assert.That(y.Count(v => v > 0), Is.GreaterThan(0));
    }

    [Test]
    public void SequentialNamesChildrenByIndexAndChains()
    {
        using var seq = new Sequential(Cpu, new Linear(Cpu, 4, 8, Rng()), new Relu(Cpu), new Linear(Cpu, 8, 2, Rng(2), bias: false));
        Assert.That(seq.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight" }));
        using var scope = TensorScope.Begin();
        var x = Random(5, -1, 1, 3, 4);
        Assert.That(seq.Forward(x).Shape, Is.EqualTo(new[] { 3, 2 }));
        GradCheck.Check(t => seq.Forward(t[0]), [x]);
    }

    [Test]
    public void PoolingAndFlattenLayers()
    {
        using var scope = TensorScope.Begin();
        var x = Random(6, -1, 1, 2, 3, 8, 8);
        using var pool = new MaxPool2d(Cpu, 3, 2, 1);
        using var gap = new GlobalAvgPool(Cpu);
        using var flat = new Flatten(Cpu);
        Assert.That(pool.Forward(x).Shape, Is.EqualTo(new[] { 2, 3, 4, 4 }));
        Assert.That(gap.Forward(x).Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(flat.Forward(x).Shape, Is.EqualTo(new[] { 2, 192 }));
    }
}
