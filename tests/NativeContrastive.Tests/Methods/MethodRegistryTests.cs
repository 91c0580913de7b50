using NativeContrastive.Engine.Methods;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Methods;

public class MethodRegistryTests
{
    [Test]
    public void DescribesKnownMethods()
    {
        var s = MethodRegistry.Describe("simclr");
        Assert.That((s.ViewCount, s.Head, s.HeadPrefix, s.HeadOutputDim, s.HeadHasHiddenLayer), Is.EqualTo((2, HeadKind.Projector, "projector.", 128, true)));
        var n = MethodRegistry.Describe("NPID");
        Assert.That((n.ViewCount, n.Head, n.HeadPrefix, n.HeadOutputDim, n.HeadHasHiddenLayer), Is.EqualTo((1, HeadKind.Embed, "embed.", 128, false)));
    }

    [Test]
    public void UnknownNameListsChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => MethodRegistry.Describe("byol"))!;
        Assert.That(e.Message, Does.Contain("simclr").And.Contain("npid").And.Contain("byol"));
    }

    [Test]
    public void CreatesTheNamedMethod()
    {
        using var s = MethodRegistry.Create("simclr", new FlattenLinear(GradCheck.Cpu, 4, 3, 1), new FlattenLinear(GradCheck.Cpu, 3, 2, 2), 10, GradCheck.Cpu, 1);
        Assert.That(s, Is.TypeOf<SimClr>());
        using var n = MethodRegistry.Create("npid", new FlattenLinear(GradCheck.Cpu, 4, 3, 1), new FlattenLinear(GradCheck.Cpu, 3, 128, 2), 10, GradCheck.Cpu, 1);
        Assert.That(n, Is.TypeOf<Npid>());
        Assert.That(((Npid)n).Bank.Size, Is.EqualTo(10));
    }
}
