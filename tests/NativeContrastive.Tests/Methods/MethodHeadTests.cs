using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Configuration;
using NUnit.Framework;

namespace NativeContrastive.Tests.Methods;

/// <summary>Every registered method exposes its head and a module state dict for inference (nc embed, nc export, the API).</summary>
public class MethodHeadTests
{
    private static IEnumerable<string> Methods => MethodRegistry.Names;

    [TestCaseSource(nameof(Methods))]
    public void HeadIsAModuleOfTheMethodAndProjectRunsIt(string name)
    {
        var config = new TrainingConfig { Method = name, ImageSize = 12, BatchSize = 8 }.Resolve();
        using var method = RunComponents.CreateMethod(config, 1, dataSize: 16, CpuBackend.Instance, numClasses: 10);
        Assert.That(method.Head, Is.Not.Null, $"{name} has a head after the encoder");
        string prefix = method.HeadPrefix!;
        Assert.That(prefix, Does.EndWith(".").And.Not.EqualTo("encoder."));
        var modules = method.ModuleStateDict().Select(t => t.Name).ToList();
        var all = method.StateDict().Select(t => t.Name).ToList();
        Assert.That(modules, Is.SubsetOf(all));
        Assert.That(modules, Has.Some.StartWith("encoder.").And.Some.StartWith(prefix));
        var extra = all.Except(modules).ToList();
        Assert.That(extra, Has.None.StartWith("encoder.").And.None.StartWith(prefix), "only the method's own state (bank, queue) is left out");
        if (name == "npid") Assert.That(extra, Does.Contain("memory_bank"));

        method.Train(false);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var h = method.Encoder.Forward(Tensor.Full(CpuBackend.Instance, 0.5f, 2, 1, 12, 12));
        var z = method.Project(h)!;
        Assert.That(z.ToArray(), Is.EqualTo(method.Head!.Forward(h).ToArray()));
    }
}
