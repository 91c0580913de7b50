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

    /// <summary>
    /// Linear's and MatMul's backward write a zeroed parameter gradient in place (Tape.NewContribution): the
    /// gradient keeps its memory, holds exactly this pass's contribution, and a second use of the parameter
    /// in the same pass still adds to it.
    /// </summary>
    [Test]
    public void ABackwardWritesAZeroedParameterGradientInPlace()
    {
        var be = CpuBackend.Instance;
        var w = Tensor.Parameter(be, "w", 2, 3);
        be.CopyFromHost([0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f], w);
        var x = Tensor.FromArray(be, [1f, 2f, 3f, -1f, 0f, 4f, 2f, -2f, 1f, 0.5f, 0.5f, -3f], 4, 3);
        Tensor Pass(bool twice)
        {
            var y = Ops.Linear(x, w, null);
            if (twice) y = Ops.Add(y, Ops.MatMul(x, w, transB: true));
            Tape.Backward(Ops.Mean(Ops.Mul(y, y)));
            return w.Grad!;
        }
        var memory = Pass(twice: false);
        var once = memory.ToArray();
        w.ZeroGrad();
        Assert.That(Pass(twice: false), Is.SameAs(memory));
        Assert.That(memory.ToArray(), Is.EqualTo(once), "this pass's contribution, nothing of the last");
        w.ZeroGrad();
        Assert.That(Pass(twice: true), Is.SameAs(memory));
        // y = 2·x·wᵀ: L = mean(y²) has 4 times the gradient of a single use, half from each use.
        Assert.That(memory.ToArray(), Is.EqualTo(once.Select(v => 4f * v)).Within(1e-5f), "the second use added to the first's in-place contribution");
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
