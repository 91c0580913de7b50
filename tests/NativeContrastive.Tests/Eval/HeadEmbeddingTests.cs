using NUnit.Framework;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Methods.Npid;
using NativeContrastive.Engine.Methods.SimClr;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Eval;

/// <summary>
/// ContrastiveMethod.Project ("the embedding after the head") for the registered methods with a
/// head, and FeatureExtractor.ExtractWithHead, which gives encoder features and head outputs in
/// one pass over the images.
/// </summary>
public class HeadEmbeddingTests
{
    private static readonly ImageDataset Images = new("t", 1, 8, 8, Data.DatasetWriters.Images(6, 1, 8, 8), [0, 1, 2, 0, 1, 2], ["a", "b", "c"]);

    [TestCase("simclr")]
    [TestCase("npid")]
    public void ProjectIsTheHeadOfTheMethod(string name)
    {
        var config = new TrainingConfig { Method = name, Arch = "small", BatchSize = 4 }.Resolve();
        using var method = RunComponents.CreateMethod(config, 1, 6, GradCheck.Cpu);
        method.Train(false);
        using var scope = TensorScope.Begin();
        using var noGrad = Tape.NoGrad();
        var x = Tensor.FromArray(GradCheck.Cpu, Images.Pixels.Select(b => b / 255f).ToArray(), 6, 1, 8, 8);
        var h = method.Encoder.Forward(x);
        var z = method.Project(h) ?? throw new AssertionException("no head");
        var expected = method switch
        {
            SimClrMethod s => s.Projector.Forward(h),
            NpidMethod n => n.EmbedHead.Forward(h),
            _ => throw new AssertionException("unexpected method"),
        };
        Assert.That(z.ToArray(), Is.EqualTo(expected.ToArray()));
        if (method is NpidMethod npid)
            Assert.That(npid.Embed(x).ToArray(), Is.EqualTo(Ops.L2Normalize(z).ToArray()), "NPID's embedding is the normalised head output");
    }

    [Test]
    public void ExtractWithHeadGivesBothInOnePass()
    {
        var config = new TrainingConfig { Method = "simclr", Arch = "small", BatchSize = 4 }.Resolve();
        using var method = RunComponents.CreateMethod(config, 1, 6, GradCheck.Cpu);
        method.Train(false);
        using var scope = TensorScope.Begin();
        using var data = new ResidentDataset(Images, GradCheck.Cpu);
        var (f, z) = FeatureExtractor.ExtractWithHead(method.Encoder, method.Project, data, batchSize: 4, indices: [5, 0, 3]);
        Assert.That(z, Is.Not.Null);
        Assert.That(f.ToArray(), Is.EqualTo(FeatureExtractor.Extract(method.Encoder, data, 4, indices: [5, 0, 3]).ToArray()));
        // The head's rows: the normalised projection of the encoder's raw output for the same images.
        var (raw, rawHead) = FeatureExtractor.ExtractWithHead(method.Encoder, method.Project, data, batchSize: 4, indices: [5, 0, 3], normalize: false);
        using var noGrad = Tape.NoGrad();
        Assert.That(z!.ToArray(), Is.EqualTo(Ops.L2Normalize(rawHead!).ToArray()).Within(1e-6f));
        Assert.That(f.ToArray(), Is.EqualTo(Ops.L2Normalize(raw).ToArray()).Within(1e-6f));
        // A head that gives nothing (a method without one): only the encoder's features.
        var (_, none) = FeatureExtractor.ExtractWithHead(method.Encoder, _ => null, data, batchSize: 4);
        Assert.That(none, Is.Null);
    }
}
