using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Autograd;

public class BasicOpGradTests
{
    [Test]
    public void AddGradient() => GradCheck.Check(x => Ops.Add(x[0], x[1]),
        [GradCheck.Random(1, -1, 1, 3, 4), GradCheck.Random(2, -1, 1, 3, 4)]);

    [Test]
    public void MulGradient() => GradCheck.Check(x => Ops.Mul(x[0], x[1]),
        [GradCheck.Random(3, -1, 1, 5), GradCheck.Random(4, -1, 1, 5)]);

    [Test]
    public void SameInputTwiceAccumulates() => GradCheck.Check(x => Ops.Mul(x[0], Ops.Add(x[0], x[0])),
        [GradCheck.Random(5, -1, 1, 2, 3)]);

    [Test]
    public void MeanGradient() => GradCheck.Check(x => Ops.Mean(Ops.Mul(x[0], x[0])),
        [GradCheck.Random(6, -1, 1, 7)]);

    [Test]
    public void ScopeReturnsStorageAndCatchesUseAfterDispose()
    {
        Tensor kept, lost;
        using (var scope = TensorScope.Begin())
        {
            lost = Tensor.Zeros(GradCheck.Cpu, 4);
            kept = scope.Keep(Tensor.Full(GradCheck.Cpu, 2f, 4));
        }
        Assert.That(kept.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f, 2f }));
        Assert.Throws<ObjectDisposedException>(() => lost.ToArray());
        kept.Dispose();
    }
}
