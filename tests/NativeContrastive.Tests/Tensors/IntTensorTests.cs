using NUnit.Framework;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Tensors;

public class IntTensorTests
{
    [Test]
    public void FromArrayRefusesAValueCountThatIsNotTheShapesNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => IntTensor.FromArray(GradCheck.Cpu, [1, 2, 3], 2, 2))!;
        Assert.That(e.Message, Does.Contain("3 values for shape [2,2] (4 elements)"));
    }

    [Test]
    public void FromArrayRoundTrips()
    {
        using var t = IntTensor.FromArray(GradCheck.Cpu, [4, -1, 7, 0, 2, 9], 2, 3);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 4, -1, 7, 0, 2, 9 }));
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3 }));
    }
}
