using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.ModelTests;

/// <summary>
/// Architectures: parameter counts against torchvision, torchvision key names, output shapes,
/// determinism. Counts computed by hand from the architecture (torchvision totals minus the
/// fc layer 512·1000 + 1000 = 513,000 for ResNet-18/34 and 2048·1000 + 1000 = 2,049,000 for
/// ResNet-50): resnet18 11,689,512 → 11,176,512; resnet34 21,797,672 → 21,284,672;
/// resnet50 25,557,032 → 23,508,032. The CIFAR stem's 3×3 conv1 has 64·C·(49 − 9) fewer weights.
/// </summary>
public class ModelTests
{
    private static RandomStream Rng(ulong seed = 1) => new(seed, StreamId.Of(StreamId.Init));

    [TestCase("resnet18", "imagenet", 3, 11_176_512L)]
    [TestCase("resnet18", "cifar", 3, 11_176_512L - 64 * 3 * 40)]
    [TestCase("resnet34", "imagenet", 3, 21_284_672L)]
    [TestCase("resnet34", "cifar", 3, 21_284_672L - 64 * 3 * 40)]
    [TestCase("resnet50", "imagenet", 3, 23_508_032L)]
    [TestCase("resnet50", "cifar", 3, 23_508_032L - 64 * 3 * 40)]
    [TestCase("resnet18", "cifar", 1, 11_176_512L - 64 * 3 * 49 + 64 * 1 * 9)]
    public void ParameterCountMatchesTorchvision(string arch, string stem, int inChannels, long expected)
    {
        using var enc = ModelFactory.CreateEncoder(arch, inChannels, Cpu, Rng(), stem);
        Assert.That(enc.ParameterCount(), Is.EqualTo(expected));
        Assert.That(enc.Arch, Is.EqualTo(arch));
    }

    [Test]
    public void ResNet18HandCountFromArchitecture()
    {
        // conv1 9408 + bn1 128; layer1 2·(2·36864 + 2·128); layer2 (73728 + 147456 + 8192 + 3·256) + (2·147456 + 2·256);
        // layer3 (294912 + 589824 + 32768 + 3·512) + (2·589824 + 2·512); layer4 (1179648 + 2359296 + 131072 + 3·1024) + (2·2359296 + 2·1024).
        long expected = 9408 + 128 + 2 * (2 * 36864 + 2 * 128)
            + (73728 + 147456 + 8192 + 3 * 256) + (2 * 147456 + 2 * 256)
            + (294912 + 589824 + 32768 + 3 * 512) + (2 * 589824 + 2 * 512)
            + (1179648 + 2359296 + 131072 + 3 * 1024) + (2 * 2359296 + 2 * 1024);
        Assert.That(expected, Is.EqualTo(11_176_512L));
    }

    [Test]
    public void ResNetKeysFollowTorchvision()
    {
        using var enc = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(), "imagenet");
        var keys = enc.StateDict().Select(p => p.Name).ToHashSet();
        foreach (var k in new[] { "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                                  "layer1.0.conv1.weight", "layer1.1.bn2.running_var", "layer2.0.downsample.0.weight",
                                  "layer2.0.downsample.1.running_mean", "layer4.1.conv2.weight" })
            Assert.That(keys, Does.Contain(k));
        Assert.That(keys.Any(k => k.StartsWith("fc.")), Is.False);
        Assert.That(keys.Any(k => k.StartsWith("layer1.0.downsample")), Is.False);
        // torchvision resnet18 state_dict without fc and num_batches_tracked: 20 convs/BNs… count tensors.
        Assert.That(enc.NamedParameters().Count(), Is.EqualTo(60));
        Assert.That(enc.NamedBuffers().Count(), Is.EqualTo(40));

        using var r50 = ModelFactory.CreateEncoder("resnet50", 3, Cpu, Rng());
        var k50 = r50.StateDict().Select(p => p.Name).ToHashSet();
        Assert.That(k50, Does.Contain("layer1.0.downsample.0.weight"));
        Assert.That(k50, Does.Contain("layer3.5.conv3.weight"));
        Assert.That(r50.StateDict().First(p => p.Name == "layer1.0.conv3.weight").Tensor.Shape, Is.EqualTo(new[] { 256, 64, 1, 1 }));
    }

    [TestCase("resnet18", "cifar", 3, 32, 512)]
    [TestCase("resnet18", "imagenet", 3, 64, 512)]
    [TestCase("resnet34", "cifar", 1, 28, 512)]
    [TestCase("resnet50", "cifar", 3, 32, 2048)]
    [TestCase("resnet50", "imagenet", 2, 64, 2048)]
    [TestCase("small", "cifar", 1, 28, 128)]
    [TestCase("small", "cifar", 3, 96, 128)]
    public void OutputShape(string arch, string stem, int channels, int size, int featureDim)
    {
        using var enc = ModelFactory.CreateEncoder(arch, channels, Cpu, Rng(), stem);
        using var _ = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var y = enc.Forward(Random(1, -1, 1, 2, channels, size, size));
        Assert.That(enc.FeatureDim, Is.EqualTo(featureDim));
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, featureDim }));
        Assert.That(y.ToArray().All(float.IsFinite));
    }

    [Test]
    public void ResNetTrainsEndToEndGradientsReachEveryParameter()
    {
        using var enc = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng());
        using var scope = TensorScope.Begin();
        enc.ZeroGrad();
        var y = enc.Forward(Random(2, -1, 1, 2, 3, 16, 16));
        Tape.Backward(Ops.Mean(Ops.Mul(y, y)));
        foreach (var (name, p) in enc.NamedParameters())
            Assert.That(p.Grad!.ToArray().Any(v => v != 0f), Is.True, $"no gradient reached {name}");
    }

    [Test]
    public void SmallEncoderGradientCheck()
    {
        using var enc = new SmallEncoder(Cpu, 2, Rng(), width: 4);
        var conv1 = enc.NamedParameters().First(p => p.Name == "conv1.weight").Tensor;
        var fc = enc.NamedParameters().First(p => p.Name == "fc.weight").Tensor;
        // Eval-mode batch norm (a fixed affine map): the check covers the convs, the fused
        // BN+ReLU path and the head; training-mode BN gradients are checked in BatchNormGradTests,
        // where no ReLU kink sits next to the batch statistics.
        enc.Eval();
        GradCheck.Check(t => enc.Forward(t[0]), [Random(3, -1, 1, 2, 2, 9, 9), conv1, fc], h: 1e-2, atol: 5e-3, rtol: 5e-2);
        Assert.That(enc.NamedParameters().Select(p => p.Name),
            Is.EqualTo(new[] { "conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias", "conv3.weight", "bn3.weight", "bn3.bias", "conv4.weight", "bn4.weight", "bn4.bias", "fc.weight", "fc.bias" }));
    }

    [Test]
    public void SameSeedSameModelDifferentSeedDifferent()
    {
        using var a = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(5));
        using var b = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(5));
        using var c = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(6));
        var pa = a.StateDict().ToList(); var pb = b.StateDict().ToList(); var pc = c.StateDict().ToList();
        for (int i = 0; i < pa.Count; i++)
            Assert.That(pa[i].Tensor.ToArray(), Is.EqualTo(pb[i].Tensor.ToArray()), pa[i].Name);
        Assert.That(pa[0].Tensor.ToArray(), Is.Not.EqualTo(pc[0].Tensor.ToArray()));
    }

    [Test]
    public void ResNetInitIsTorchvisionStyleNoZeroInitResidual()
    {
        using var enc = ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng());
        var sd = enc.StateDict().ToDictionary(p => p.Name, p => p.Tensor);
        Assert.That(sd["layer1.0.bn2.weight"].ToArray(), Is.All.EqualTo(1f), "last BN of a block starts at γ = 1 (zero_init_residual off)");
        var w = sd["layer3.0.conv2.weight"].ToArray(); // [256,256,3,3], fan_out 2304
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / 2304)).Within(0.02 * Math.Sqrt(2.0 / 2304)));
    }

    [Test]
    public void FactoryRejectsUnknownNamesListingChoices()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelFactory.CreateEncoder("resnet19", 3, Cpu, Rng()));
        Assert.That(ex!.Message, Does.Contain("'resnet19'").And.Contain("resnet18, resnet34, resnet50, small"));
        var ex2 = Assert.Throws<ArgumentException>(() => ModelFactory.CreateEncoder("resnet18", 3, Cpu, Rng(), "tiny"));
        Assert.That(ex2!.Message, Does.Contain("'tiny'").And.Contain("cifar, imagenet"));
    }

    [Test]
    public void ProjectionHeadKeysShapesAndGradient()
    {
        using var head = ModelFactory.CreateProjectionHead(6, 5, 3, Cpu, Rng());
        Assert.That(head.StateDict().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "1.running_mean", "1.running_var" }));
        var w0 = head.NamedParameters().First().Tensor;
        // h small: the fused ReLU after BN has kinks that a step of 1e-2 in W can cross.
        GradCheck.Check(t => head.Forward(t[0]), [Random(8, -1, 1, 7, 6), w0], h: 1e-3, atol: 5e-3, rtol: 5e-2);
        using var scope = TensorScope.Begin();
        Assert.That(head.Forward(Random(9, -1, 1, 4, 6)).Shape, Is.EqualTo(new[] { 4, 3 }));
    }

    [Test]
    public void LinearHeadIsOneLinear()
    {
        using var head = new LinearHead(512, 128, Cpu, Rng());
        Assert.That(head.NamedParameters().Select(p => (p.Name, ShapeUtil.Format(p.Tensor.Shape))),
            Is.EqualTo(new[] { ("fc.weight", "[128,512]"), ("fc.bias", "[128]") }));
        using var scope = TensorScope.Begin();
        Assert.That(head.Forward(Random(1, -1, 1, 3, 512)).Shape, Is.EqualTo(new[] { 3, 128 }));
    }
}
