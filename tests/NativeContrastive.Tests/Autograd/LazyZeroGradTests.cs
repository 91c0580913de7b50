using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;

namespace NativeContrastive.Tests.Autograd;

/// <summary>
/// <see cref="Tensor.ZeroGrad"/> writes nothing: the next backward pass's first contribution overwrites the
/// gradient (a copy, no fill and no add), later contributions add to it, and any read in between
/// (an optimiser step on a parameter the pass did not reach, a test) sees zeros.
/// </summary>
public class LazyZeroGradTests
{
    private static Tensor Param(float[] values)
    {
        var p = Tensor.Parameter(CpuBackend.Instance, "p", values.Length);
        CpuBackend.Instance.CopyFromHost(values, p);
        return p;
    }

    private static void BackwardOfSum(Tensor p, float scale)
    {
        // L = scale · Σ p², dL/dp = 2·scale·p.
        var loss = Ops.Mean(Ops.Mul(p, p));
        Tape.Backward(Ops.Scale(loss, scale * p.Length));
    }

    [Test]
    public void TheFirstContributionAfterZeroGradReplacesTheOldGradient()
    {
        var p = Param([1f, -2f, 3f]);
        BackwardOfSum(p, 1f);
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(new[] { 2f, -4f, 6f }));
        p.ZeroGrad();
        BackwardOfSum(p, 0.5f);
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(new[] { 1f, -2f, 3f }), "overwritten, not added to the previous step's gradient");
        BackwardOfSum(p, 0.5f);
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(new[] { 2f, -4f, 6f }), "without ZeroGrad contributions add up");
    }

    [Test]
    public void ReadingAZeroedGradientWritesTheZeros()
    {
        var p = Param([1f, 2f]);
        BackwardOfSum(p, 1f);
        p.ZeroGrad();
        Assert.That(p.Grad!.ToArray(), Is.All.EqualTo(0f));
        BackwardOfSum(p, 1f);
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(new[] { 2f, 4f }), "a materialised zero is an ordinary gradient: the contribution adds to 0");
    }

    [Test]
    public void AParameterTheBackwardPassMissedStepsWithAZeroGradient()
    {
        var used = Param([1f, 2f]);
        var missed = Param([5f, 6f]);
        using var sgd = new Sgd([("used", used), ("missed", missed)], momentum: 0.9f, weightDecay: 0f);
        BackwardOfSum(missed, 1f);   // an earlier step left a gradient on `missed`
        BackwardOfSum(used, 1f);
        sgd.Step(0.1f);
        var before = missed.ToArray();
        sgd.ZeroGrad();
        BackwardOfSum(used, 1f);     // this step does not reach `missed`
        sgd.Step(0.1f);
        var after = missed.ToArray();
        // SGD with momentum: v ← 0.9·v + g, p ← p − lr·v; with g = 0 the move is 0.9 times the last one, not 1.9 times.
        var first = new[] { 5f - 0.1f * 10f, 6f - 0.1f * 12f };
        Assert.That(before, Is.EqualTo(first).Within(1e-6f));
        Assert.That(after, Is.EqualTo(new[] { first[0] - 0.09f * 10f, first[1] - 0.09f * 12f }).Within(1e-5f));
    }
}
