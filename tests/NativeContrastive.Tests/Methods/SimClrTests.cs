using NativeContrastive.Engine.Methods.SimClr;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Methods;

public class SimClrTests
{
    private static SimClrMethod Make() => new(new FlattenLinear(GradCheck.Cpu, 2 * 3 * 3, 6, 1), new FlattenLinear(GradCheck.Cpu, 6, 4, 2), new SimClrOptions());

    private static TrainingBatch Batch(int b)
    {
        using var _ = TensorScope.Suspend();
        return new TrainingBatch([GradCheck.Random(10, -1, 1, b, 2, 3, 3), GradCheck.Random(11, -1, 1, b, 2, 3, 3)],
                                 Enumerable.Range(0, b).ToArray(), new int[b]);
    }

    [Test]
    public void LossIsNtXentOfProjectedViews()
    {
        using var method = Make();
        using var batch = Batch(3);
        using var scope = TensorScope.Begin();
        using var noGrad = Tape.NoGrad();
        float loss = method.Loss(batch).Item();
        // z by hand: view 0 rows then view 1 rows through encoder then projector, each view on its own.
        var z = Ops.Concat(0, method.Projector.Forward(method.Encoder.Forward(batch.Views[0])),
                              method.Projector.Forward(method.Encoder.Forward(batch.Views[1])));
        float expected = NtXentLoss.Compute(z, 0.5f).Item();
        Assert.That(loss, Is.EqualTo(expected).Within(1e-5));
        Assert.That(method.Options.Temperature, Is.EqualTo(0.5f));
    }

    [Test]
    public void GradientsReachEncoderAndProjector()
    {
        using var method = Make();
        using var batch = Batch(4);
        using var scope = TensorScope.Begin();
        Tape.Backward(method.Loss(batch));
        var names = method.NamedParameters().Select(p => p.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "encoder.weight", "encoder.bias", "projector.weight", "projector.bias" }));
        foreach (var (name, p) in method.NamedParameters())
            Assert.That(p.Grad!.ToArray().Sum(g => (double)g * g), Is.GreaterThan(1e-12), name);
    }

    [Test]
    public void DescribesItselfAndChecksViews()
    {
        using var method = Make();
        Assert.That(method.Name, Is.EqualTo("simclr"));
        Assert.That(method.ViewCount, Is.EqualTo(2));
        Assert.That(method.StateDict().Select(s => s.Name), Is.EquivalentTo(new[] { "encoder.weight", "encoder.bias", "projector.weight", "projector.bias" }));
        using var scope = TensorScope.Begin();
        using var one = new TrainingBatch([GradCheck.Random(1, -1, 1, 2, 2, 3, 3)], [0, 1], [0, 0]);
        Assert.Throws<ArgumentException>(() => method.Loss(one));
        method.Train(false);
        Assert.That(method.Encoder.IsTraining || method.Projector.IsTraining, Is.False);
    }
}
