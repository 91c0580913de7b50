using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.CheckpointTests;

/// <summary>Module and optimiser state through safetensors files.</summary>
public class ModuleStateTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(), "nc-ms-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static RandomStream Rng(ulong seed) => new(seed, StreamId.Of(StreamId.Init));

    [Test]
    public void EncoderRoundTripRestoresParametersAndBuffersWithArch()
    {
        using var a = ModelFactory.CreateEncoder("small", 3, Cpu, Rng(1));
        Cpu.Fill(a.StateDict().First(p => p.Name == "bn1.running_mean").Tensor, 0.25f);
        string path = Path.Combine(dir, "enc.safetensors");
        ModuleState.Save(path, a, new Dictionary<string, string> { ["epoch"] = "3" });

        using var b = ModelFactory.CreateEncoder("small", 3, Cpu, Rng(2));
        var file = ModuleState.Load(path, b);
        Assert.That(file.Metadata["arch"], Is.EqualTo("small"));
        Assert.That(file.Metadata["epoch"], Is.EqualTo("3"));
        foreach (var ((name, ta), (_, tb)) in a.StateDict().Zip(b.StateDict()))
            Assert.That(tb.ToArray(), Is.EqualTo(ta.ToArray()), name);
    }

    [Test]
    public void ResNetBuffersRoundTrip()
    {
        using var a = ModelFactory.CreateEncoder("resnet18", 1, Cpu, Rng(1));
        Cpu.Fill(a.NamedBuffers().First(p => p.Name == "layer2.0.bn1.running_var").Tensor, 3f);
        string path = Path.Combine(dir, "r.safetensors");
        ModuleState.Save(path, a);
        using var b = ModelFactory.CreateEncoder("resnet18", 1, Cpu, Rng(2));
        ModuleState.Load(path, b);
        Assert.That(b.NamedBuffers().First(p => p.Name == "layer2.0.bn1.running_var").Tensor.ToArray(), Is.All.EqualTo(3f));
        Assert.That(b.NamedParameters().First().Tensor.ToArray(), Is.EqualTo(a.NamedParameters().First().Tensor.ToArray()));
    }

    [Test]
    public void OtherArchitectureIsReportedByName()
    {
        using var a = ModelFactory.CreateEncoder("small", 3, Cpu, Rng(1));
        string path = Path.Combine(dir, "small.safetensors");
        ModuleState.Save(path, a);
        using var b = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(1));
        var ex = Assert.Throws<CheckpointFormatException>(() => ModuleState.Load(path, b));
        Assert.That(ex!.Message, Does.StartWith(path).And.Contain("architecture 'small', the model is 'resnet18'"));
    }

    [Test]
    public void ShapeMismatchNamesKeyExpectedAndFound()
    {
        // Same arch, other stem: conv1 is 3×3 in the file, 7×7 in the model. Nothing is copied.
        using var cifar = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(1), "cifar");
        var file = new SafeTensorsFile();
        ModuleState.AddTensors(file, cifar.StateDict());
        using var imagenet = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(2), "imagenet");
        var before = imagenet.NamedParameters().Last().Tensor.ToArray();
        var ex = Assert.Throws<CheckpointFormatException>(() => ModuleState.Load(file, imagenet));
        Assert.That(ex!.Message, Does.Contain("key 'conv1.weight' has shape [64,3,3,3], expected [64,3,7,7]"));
        Assert.That(imagenet.NamedParameters().Last().Tensor.ToArray(), Is.EqualTo(before), "a failed load writes nothing");
    }

    [Test]
    public void MissingKeyWithPrefix()
    {
        using var head = ModelFactory.CreateProjectionHead(8, 8, 4, Cpu, Rng(1));
        var file = new SafeTensorsFile();
        ModuleState.Add(file, head, "head.");
        using var other = ModelFactory.CreateProjectionHead(8, 8, 4, Cpu, Rng(2));
        ModuleState.Load(file, other, "head.");
        Assert.That(other.NamedParameters().First().Tensor.ToArray(), Is.EqualTo(head.NamedParameters().First().Tensor.ToArray()));
        var ex = Assert.Throws<CheckpointFormatException>(() => ModuleState.Load(file, other, "projector."));
        Assert.That(ex!.Message, Does.Contain("key 'projector.0.weight' is missing (expected shape [8,8])"));
    }

    [Test]
    public void OptimizerStateRoundTrip()
    {
        using var enc = ModelFactory.CreateEncoder("small", 1, Cpu, Rng(1));
        var ps = enc.NamedParameters().ToList();
        using var opt = new Adam(ps);
        foreach (var (_, p) in ps) Cpu.Fill(p.Grad!, 0.1f);
        opt.Step(0.01f);
        var file = new SafeTensorsFile();
        ModuleState.AddTensors(file, opt.State(), "optim.");
        using var opt2 = new Adam(ps);
        ModuleState.LoadTensors(file, opt2.State(), "optim.");
        foreach (var ((n, s1), (_, s2)) in opt.State().Zip(opt2.State()))
            Assert.That(s2.ToArray(), Is.EqualTo(s1.ToArray()), n);
        Assert.That(file.Contains("optim.exp_avg_sq.conv1.weight"), Is.True);
    }
}
