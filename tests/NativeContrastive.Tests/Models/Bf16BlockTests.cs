using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;
using Op = NativeContrastive.Engine.Autograd.Ops;

namespace NativeContrastive.Tests.ModelTests;

/// <summary>
/// The ResNet blocks at --precision bf16 store their inner BN+ReLU outputs in bf16 (BasicBlock's bn1,
/// Bottleneck's bn1 and bn2, read only by the next convolution). That must change nothing: a training
/// step of the block equals, bit for bit, the same block written out with Ops.Conv2dBatchNorm (fp32
/// outputs) from its own parameters — output, the gradients of x and of every parameter, and the
/// running statistics — on the cpu and on emu, with an identity and with a projection shortcut.
/// </summary>
public class Bf16BlockTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in new[] { "cpu", "emu" })
        {
            yield return new TestCaseData(device, "basic", 6, 6, 1).SetName($"{{m}}({device}, BasicBlock, identity shortcut)");
            yield return new TestCaseData(device, "basic", 4, 6, 2).SetName($"{{m}}({device}, BasicBlock, projection shortcut)");
            yield return new TestCaseData(device, "bottleneck", 8, 2, 1).SetName($"{{m}}({device}, Bottleneck, identity shortcut)");
            yield return new TestCaseData(device, "bottleneck", 4, 2, 2).SetName($"{{m}}({device}, Bottleneck, projection shortcut)");
        }
    }

    private static Module Block(IBackend be, string kind, int inPlanes, int planes, int stride) => kind == "basic"
        ? new BasicBlock(be, inPlanes, planes, stride, new RandomStream(7, 0))
        : new Bottleneck(be, inPlanes, planes, stride, new RandomStream(7, 0));

    /// <summary>The block from its state: conv+BN layers as Ops.Conv2dBatchNorm, every activation fp32.</summary>
    private static Tensor WrittenOut(Module block, string kind, int stride, Tensor x)
    {
        var p = block.StateDict().ToDictionary(e => e.Name, e => e.Tensor);
        Tensor Layer(ConvInput input, string conv, string bn, int s, int pad, bool relu, Tensor? residual = null) =>
            Op.Conv2dBatchNorm(input, p[conv + ".weight"], null, s, pad, p[bn + ".weight"], p[bn + ".bias"], p[bn + ".running_mean"],
                p[bn + ".running_var"], training: true, relu: relu, residual: residual);
        var shortcut = p.ContainsKey("downsample.0.weight") ? Layer(x, "downsample.0", "downsample.1", stride, 0, false) : x;
        if (kind == "basic")
            return Layer(Layer(x, "conv1", "bn1", stride, 1, true), "conv2", "bn2", 1, 1, false, shortcut);
        var h = Layer(Layer(x, "conv1", "bn1", 1, 0, true), "conv2", "bn2", stride, 1, true);
        return Layer(h, "conv3", "bn3", 1, 0, false, shortcut);
    }

    private static float[][] Step(IBackend be, Module block, Func<Tensor, Tensor> forward, int inPlanes)
    {
        var x = Tensor.FromArray(be, EmuKernelTest.Data(2 * inPlanes * 7 * 6, 1), 2, inPlanes, 7, 6);
        x.RequiresGrad = true;
        var y = forward(x);
        Tape.Backward(Op.Sum(Op.Mul(y, Tensor.FromArray(be, EmuKernelTest.Data(y.Length, 2), y.Shape))));
        return new[] { y, x.Grad! }.Concat(block.Parameters().Select(t => t.Grad!)).Concat(block.NamedBuffers().Select(b => b.Tensor))
            .Select(t => t.ToArray()).ToArray();
    }

    [TestCaseSource(nameof(Cases))]
    public void Bf16TrainingStepEqualsTheBlockWithFp32Activations(string device, string kind, int inPlanes, int planes, int stride)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        using Module block = Block(be, kind, inPlanes, planes, stride), twin = Block(be, kind, inPlanes, planes, stride);
        var viaModule = Step(be, block, block.Forward, inPlanes);
        var writtenOut = Step(be, twin, x => WrittenOut(twin, kind, stride, x), inPlanes);
        Assert.That(viaModule, Has.Length.EqualTo(writtenOut.Length));
        for (int i = 0; i < viaModule.Length; i++)
            Assert.That(viaModule[i], Is.EqualTo(writtenOut[i]), i == 0 ? "y" : i == 1 ? "dx" : $"parameter gradient or buffer {i - 2}");
    }

    /// <summary>
    /// A block whose output only the next block's convolutions read (that block has a projection
    /// shortcut) stores it for convolutions: bf16 at bf16. Two blocks chained so, against the same two
    /// blocks through Module.Forward (fp32 between them), bit for bit.
    /// </summary>
    [TestCase("cpu", "basic")]
    [TestCase("emu", "basic")]
    [TestCase("cpu", "bottleneck")]
    [TestCase("emu", "bottleneck")]
    public void ABlockOutputStoredForTheNextBlocksConvolutionsChangesNothing(string device, string kind)
    {
        var be = EmuDevice.ByName(device);
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        // (in, planes, stride) of the first and the second block; the second changes the width, so it projects.
        var (first, second) = kind == "basic" ? ((6, 6, 1), (6, 8, 2)) : ((8, 2, 1), (8, 4, 2));
        Module Make((int In, int Planes, int Stride) b) => Block(be, kind, b.In, b.Planes, b.Stride);
        using Module a = Make(first), b = Make(second), ta = Make(first), tb = Make(second);
        Assert.That(((IResidualBlock)b).HasProjection && !((IResidualBlock)a).HasProjection, "the test's premise");
        float[][] Run(Module m1, Module m2, Func<Tensor, Tensor> forward) =>
            Step(be, new Sequential(be, m1, m2), forward, first.Item1);
        var chained = Run(a, b, x =>
        {
            var h = ((IResidualBlock)a).Forward(x, outputForConv: true);
            Assert.That(h.Bf16, Is.Not.Null, "the first block's output is stored in bf16");
            return ((IResidualBlock)b).Forward(h, outputForConv: false).Fp32!;
        });
        var throughForward = Run(ta, tb, x => tb.Forward(ta.Forward(x)));
        for (int i = 0; i < chained.Length; i++)
            Assert.That(chained[i], Is.EqualTo(throughForward[i]), i == 0 ? "y" : i == 1 ? "dx" : $"parameter gradient or buffer {i - 2}");
    }

    [Test]
    public void AnIdentityShortcutRefusesABf16Input()
    {
        var be = CpuBackend.Instance;
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        using var block = new BasicBlock(be, 4, 4, 1, new RandomStream(7, 0));
        var x16 = ConvInput.FromBf16(Bf16Tensor.FromArray(be, EmuKernelTest.Data(2 * 4 * 5 * 5, 1), 2, 4, 5, 5));
        Assert.That(() => ((IResidualBlock)block).Forward(x16, false), Throws.InvalidOperationException.With.Message.Contains("identity shortcut"));
    }

    /// <summary>
    /// A whole ResNet-18 training step at bf16 (whose blocks store their inner activations, the outputs
    /// feeding projection blocks and the gradients for convolutions in bf16) against the same network run
    /// layer by layer through Module.Forward with fp32 block outputs, bit for bit (cpu).
    /// </summary>
    [TestCase("resnet18")]
    [TestCase("resnet50")]
    public void AResNetStepStoringBf16EqualsOneWithFp32BlockOutputs(string arch)
    {
        var be = CpuBackend.Instance;
        using var _ = Precisions.Use(be, Precision.Bf16);
        using var scope = TensorScope.Begin();
        ResNet Make() => arch == "resnet18" ? ResNet.ResNet18(be, 1, new RandomStream(5, 0)) : ResNet.ResNet50(be, 1, new RandomStream(5, 0));
        using ResNet net = Make(), twin = Make();
        var modules = twin.SelfAndDescendants().ToArray();
        var stemConv = modules.OfType<Conv2d>().First();
        var stemBn = modules.OfType<BatchNorm>().First();
        var layers = modules.OfType<Sequential>().Where(s => s.Count > 0 && s[0] is IResidualBlock).ToArray();
        Assert.That(layers, Has.Length.EqualTo(4));
        Tensor LayerByLayer(Tensor x)
        {
            var y = stemBn.ForwardConv(stemConv, x);
            foreach (var layer in layers) y = layer.Forward(y);
            return Op.GlobalAvgPool(y);
        }
        var viaEncoder = Step(be, net, net.Forward, 1);
        var layerByLayer = Step(be, twin, LayerByLayer, 1);
        for (int i = 0; i < viaEncoder.Length; i++)
            Assert.That(viaEncoder[i], Is.EqualTo(layerByLayer[i]), i == 0 ? "features" : i == 1 ? "dx" : $"parameter gradient or buffer {i - 2}");
    }
}
