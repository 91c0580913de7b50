using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Methods;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Eval;

public class FeatureExtractorTests
{
    [Test]
    public void NormalisedPixelsThroughIdentityEncoderGiveUnitRows()
    {
        // Five 1×2×2 images; identity encoder (4 → 4), normalisation mean 0.5, std 0.25.
        var pixels = Enumerable.Range(0, 20).Select(i => (byte)(i * 13 % 256)).ToArray();
        var ds = new ImageDataset("toy", 1, 2, 2, pixels, [0, 1, 0, 1, 0], ["a", "b"], new Normalization([0.5f], [0.25f]));
        var identity = new float[16];
        for (int i = 0; i < 4; i++) identity[i * 5] = 1f;
        using var encoder = new FlattenLinear(GradCheck.Cpu, 4, 4, 0, identity);
        using var scope = TensorScope.Begin();
        int tapeBefore = Tape.Count;
        var f = FeatureExtractor.Extract(encoder, ds, GradCheck.Cpu, batchSize: 2);
        Assert.That(f.Shape, Is.EqualTo(new[] { 5, 4 }));
        Assert.That(Tape.Count, Is.EqualTo(tapeBefore), "nothing recorded");
        Assert.That(encoder.IsTraining, Is.True, "training mode restored");
        var got = f.ToArray();
        for (int n = 0; n < 5; n++)
        {
            var x = Enumerable.Range(0, 4).Select(i => (pixels[n * 4 + i] / 255.0 - 0.5) / 0.25).ToArray();
            double norm = Math.Sqrt(x.Sum(v => v * v));
            for (int i = 0; i < 4; i++) Assert.That(got[n * 4 + i], Is.EqualTo(x[i] / norm).Within(1e-5), $"image {n} element {i}");
        }
    }

    [Test]
    public void RestoresEvalModeAndFeedsKnn()
    {
        var pixels = new byte[6 * 4];
        for (int n = 0; n < 6; n++) pixels[n * 4 + (n % 2 == 0 ? 0 : 3)] = 255; // class = which corner is lit
        var ds = new ImageDataset("corners", 1, 2, 2, pixels, [0, 1, 0, 1, 0, 1], ["a", "b"]);
        using var encoder = new FlattenLinear(GradCheck.Cpu, 4, 3, 4);
        encoder.Eval();
        using var scope = TensorScope.Begin();
        var f = FeatureExtractor.Extract(encoder, ds, GradCheck.Cpu, batchSize: 4);
        Assert.That(encoder.IsTraining, Is.False);
        var r = KnnEvaluator.Evaluate(f, ds.Labels, f, ds.Labels, 2, k: 2);
        Assert.That(r.Top1, Is.EqualTo(1.0));
    }
}
