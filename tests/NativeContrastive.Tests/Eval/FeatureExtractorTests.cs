using NUnit.Framework;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Tests.Methods;
using NativeContrastive.Tests.Support;

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

    [Test]
    public void ChosenRowsOfAResidentSetEqualThoseImagesOnTheirOwn()
    {
        var ds = new ImageDataset("t", 1, 6, 6, Data.DatasetWriters.Images(7, 1, 6, 6), [0, 1, 0, 1, 0, 1, 0], ["a", "b"]);
        int[] rows = [6, 1, 4];
        var subset = new ImageDataset("s", 1, 6, 6, rows.SelectMany(i => ds.Image(i).ToArray()).ToArray(), rows.Select(i => ds.Labels[i]).ToArray(), ["a", "b"]);
        using var encoder = new FlattenLinear(GradCheck.Cpu, 36, 5, 8);
        using var scope = TensorScope.Begin();
        using var data = new ResidentDataset(ds, GradCheck.Cpu);
        var chosen = FeatureExtractor.Extract(encoder, data, batchSize: 2, indices: rows);
        var alone = FeatureExtractor.Extract(encoder, subset, GradCheck.Cpu, batchSize: 2);
        Assert.That(chosen.ToArray(), Is.EqualTo(alone.ToArray()));
    }

    [Test]
    public void KnnMonitorLeavesUnlabeledImagesOutWithoutCopyingThem()
    {
        var pixels = new byte[8 * 4];
        for (int n = 0; n < 8; n++) pixels[n * 4 + n % 4] = (byte)(100 + 20 * n);
        int[] labels = [0, -1, 1, 0, -1, 1, 0, 1];
        var withUnlabeled = new ImageDataset("u", 1, 2, 2, pixels, labels, ["a", "b"]);
        var keep = Enumerable.Range(0, 8).Where(i => labels[i] >= 0).ToArray();
        var labeledOnly = new ImageDataset("l", 1, 2, 2, keep.SelectMany(i => pixels.Skip(i * 4).Take(4)).ToArray(), keep.Select(i => labels[i]).ToArray(), ["a", "b"]);
        using var encoder = new FlattenLinear(GradCheck.Cpu, 4, 3, 9);
        var a = KnnMonitor.Evaluate(encoder, withUnlabeled, withUnlabeled, GradCheck.Cpu, 2, k: 3, temperature: 0.1f, batchSize: 3);
        var b = KnnMonitor.Evaluate(encoder, labeledOnly, labeledOnly, GradCheck.Cpu, 2, k: 3, temperature: 0.1f, batchSize: 3);
        Assert.That(a, Is.EqualTo(b));
        Assert.That((a.TestCount, a.BankCount), Is.EqualTo((6, 6)));
    }
}
