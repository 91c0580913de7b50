using NUnit.Framework;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Tensors;

/// <summary>Tensor, IntTensor and ByteTensor.FromArray share one count check (ShapeUtil.RequireFromArrayCount).</summary>
public class FromArrayTests
{
    [Test]
    public void AValueCountThatIsNotTheShapesIsRefusedNamingBoth()
    {
        var i = Assert.Throws<ArgumentException>(() => IntTensor.FromArray(GradCheck.Cpu, [1, 2, 3], 2, 2))!;
        Assert.That(i.Message, Does.Contain("3 values for shape [2,2] (4 elements)"));
        var f = Assert.Throws<ArgumentException>(() => Tensor.FromArray(GradCheck.Cpu, [1f, 2f, 3f, 4f, 5f], 2, 2))!;
        Assert.That(f.Message, Does.Contain("5 values for shape [2,2] (4 elements)"));
        var b = Assert.Throws<ArgumentException>(() => ByteTensor.FromArray(GradCheck.Cpu, new byte[3], 1, 2, 2))!;
        Assert.That(b.Message, Does.Contain("3 bytes for shape [1,2,2] (4 elements)"));
    }

    [Test]
    public void IntTensorRoundTrips()
    {
        using var t = IntTensor.FromArray(GradCheck.Cpu, [4, -1, 7, 0, 2, 9], 2, 3);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 4, -1, 7, 0, 2, 9 }));
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3 }));
    }
}
