using NUnit.Framework;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods.Nnclr;
using NativeContrastive.Engine.Methods.Npid;
using NativeContrastive.Engine.Methods.SimClr;
using NativeContrastive.Engine.Methods.SupCon;
using NativeContrastive.Engine.Methods.Supervised;
using NativeContrastive.Engine.Methods.Swav;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Methods;

public class MethodRegistryTests
{
    [Test]
    public void ListsEveryMethodOnce()
    {
        Assert.That(MethodRegistry.Names, Is.EqualTo(new[] { "simclr", "npid", "swav", "nnclr", "supcon", "supervised" }));
        Assert.That(MethodRegistry.Get("NPID").Name, Is.EqualTo("npid"));
    }

    [Test]
    public void UnknownNameListsChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => MethodRegistry.Get("byol"))!;
        Assert.That(e.Message, Does.Contain("simclr").And.Contain("npid").And.Contain("swav").And.Contain("byol"));
    }

    [Test]
    public void SharedOptionNamesHaveOneKindAndEachMethodItsOwnDefault()
    {
        var temperature = MethodRegistry.OptionNames.Single(o => o.Name == "temperature").Declarations;
        Assert.That(temperature.Select(d => (d.Method.Name, d.Option.DefaultText)),
            Is.EquivalentTo(new[] { ("simclr", "0.5"), ("npid", "0.07"), ("swav", "0.1"), ("nnclr", "0.1"), ("supcon", "0.1") }));
        foreach (var def in MethodRegistry.All)
        {
            Assert.That(def.Options.Select(o => o.Name), Is.Unique, def.Name);
            foreach (var o in def.Options) Assert.That(o.Check(o.DefaultText), Is.Null, $"{def.Name} --{o.Name} default must be valid");
        }
    }

    [TestCase("simclr", typeof(SimClrMethod), 2)]
    [TestCase("npid", typeof(NpidMethod), 1)]
    [TestCase("swav", typeof(SwavMethod), 2)]
    [TestCase("nnclr", typeof(NnclrMethod), 2)]
    [TestCase("supcon", typeof(SupConMethod), 2)]
    [TestCase("supervised", typeof(SupervisedMethod), 1)]
    public void TheFactoryBuildsTheMethodWithItsViews(string name, Type type, int views)
    {
        var def = MethodRegistry.Get(name);
        var rng = new RandomStream(1, StreamId.Of(StreamId.Init));
        var encoder = ModelFactory.CreateEncoder("small", 1, GradCheck.Cpu, rng, "cifar");
        using var method = def.Create(new MethodContext(encoder, rng, GradCheck.Cpu, 64, 16, 28, 1, MethodOptionValues.Defaults) { NumClasses = 10 });
        Assert.That(method, Is.TypeOf(type));
        Assert.That(method.Name, Is.EqualTo(name));
        Assert.That(method.ViewCount, Is.EqualTo(views));
        var planned = def.Views(new ViewContext(28, 1, Normalization.Identity, 1, 0.5f, null), MethodOptionValues.Defaults);
        Assert.That(planned, Has.Count.EqualTo(views), "the definition plans as many views as the method takes");
    }

    [TestCase("supcon")]
    [TestCase("supervised")]
    public void SupervisedMethodsRefuseAnUnlabeledTrainingSet(string name)
    {
        var rng = new RandomStream(1, StreamId.Of(StreamId.Init));
        using var encoder = ModelFactory.CreateEncoder("small", 1, GradCheck.Cpu, rng, "cifar");
        var e = Assert.Throws<TrainingException>(() => MethodRegistry.Get(name).Create(new MethodContext(encoder, rng, GradCheck.Cpu, 64, 16, 28, 1, MethodOptionValues.Defaults)))!;
        Assert.That(e.Message, Does.Contain($"--method {name} trains on class labels").And.Contain("has none"));
    }
}

/// <summary>An options record built in code is held to its declarations' rules, as a parsed flag is.</summary>
public class MethodOptionsValidationTests
{
    private static readonly TestCaseData[] Records =
    [
        new TestCaseData((Action)(() => new SimClrOptions().Validate()), (Action)(() => new SimClrOptions { Temperature = 0f }.Validate()), "SimCLR: --temperature").SetName("SimCLR"),
        new TestCaseData((Action)(() => new SupConOptions().Validate()), (Action)(() => new SupConOptions { ProjectionDim = 0 }.Validate()), "SupCon: --projector-out-dim").SetName("SupCon"),
        new TestCaseData((Action)(() => new NnclrOptions().Validate()), (Action)(() => new NnclrOptions { ProjectorHiddenDim = -1 }.Validate()), "NNCLR: --projector-hidden-dim").SetName("NNCLR"),
        new TestCaseData((Action)(() => new SwavOptions().Validate()), (Action)(() => new SwavOptions { Temperature = float.PositiveInfinity }.Validate()), "SwAV: --temperature").SetName("SwAV"),
        new TestCaseData((Action)(() => new NpidOptions().Validate()), (Action)(() => new NpidOptions { Momentum = 1f }.Validate()), "NPID: --nce-momentum").SetName("NPID"),
        new TestCaseData((Action)(() => new NpidOptions().Validate()), (Action)(() => new NpidOptions { BankInit = "zeros" }.Validate()), "NPID: --bank-init").SetName("NPID bank init"),
        new TestCaseData((Action)(() => new SupervisedOptions().Validate()), (Action)(() => new SupervisedOptions { LabelSmoothing = 1f }.Validate()), "supervised: --label-smoothing").SetName("supervised"),
    ];

    [TestCaseSource(nameof(Records))]
    public void DefaultsPassAndAValueOutsideTheFlagsRangeIsRefusedNamingTheFlag(Action defaults, Action outOfRange, string message)
    {
        Assert.DoesNotThrow(() => defaults());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => outOfRange())!;
        Assert.That(e.Message, Does.StartWith(message));
    }
}
