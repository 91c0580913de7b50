using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Randomness;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class AugmentationTests
{
    /// <summary>n images of c×h×w with the recomputable writer pattern and labels i % 10.</summary>
    private static ImageDataset Synthetic(int n, int c, int h, int w) =>
        new("synthetic", c, h, w, DatasetWriters.Images(n, c, h, w), Enumerable.Range(0, n).Select(i => i % 10).ToArray(),
            Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray());

    private static float[] View(ImageDataset ds, int index, AugmentationConfig cfg, int epoch, int view)
    {
        var dest = new float[ds.Channels * cfg.OutputSize * cfg.OutputSize];
        new Augmenter().Augment(ds, index, cfg, epoch, view, dest);
        return dest;
    }

    [Test]
    public void SameStreamGivesIdenticalViewsOthersDiffer()
    {
        var ds = Synthetic(4, 3, 32, 32);
        var cfg = AugmentationConfig.SimClr(32, 3) with { Seed = 7 };
        var a = View(ds, 2, cfg, epoch: 1, view: 0);
        Assert.That(View(ds, 2, cfg, 1, 0), Is.EqualTo(a));
        Assert.That(View(ds, 2, cfg, 2, 0), Is.Not.EqualTo(a), "epoch");
        Assert.That(View(ds, 2, cfg, 1, 1), Is.Not.EqualTo(a), "view");
        Assert.That(View(ds, 2, cfg with { Seed = 8 }, 1, 0), Is.Not.EqualTo(a), "seed");
        Assert.That(AugmentationDraws.StreamFor(1, 2, 0), Is.Not.EqualTo(AugmentationDraws.StreamFor(1, 3, 0)), "sample");
    }

    [Test]
    public void BatchCompositionAndThreadCountDoNotChangeAView()
    {
        var ds = Synthetic(6, 3, 32, 32);
        var cfg = AugmentationConfig.SimClr(24, 3) with { Seed = 3 };
        int per = 3 * 24 * 24;
        using var data = new ResidentDataset(ds, CpuBackend.Instance);
        float[] a, b;
        int saved = CpuBackend.Instance.MaxAugmentParallelism;
        try
        {
            CpuBackend.Instance.MaxAugmentParallelism = 2;
            using (var t = data.Augment([5, 1, 4], cfg, 3, 1)) a = t.ToArray();
            CpuBackend.Instance.MaxAugmentParallelism = 1;
            using (var t = data.Augment([4, 0], cfg, 3, 1)) b = t.ToArray();
        }
        finally { CpuBackend.Instance.MaxAugmentParallelism = saved; }
        Assert.That(b.AsSpan(0, per).ToArray(), Is.EqualTo(a.AsSpan(2 * per, per).ToArray()));
    }

    [Test]
    public void CropsStayInBoundsAndHonourScaleAndRatio()
    {
        var cfg = AugmentationConfig.SimClr(224, 3);
        const int H = 224, W = 224;
        double minFrac = 1, maxFrac = 0, minRatio = 9, maxRatio = 0;
        for (int i = 0; i < 4000; i++)
        {
            var rng = new RandomStream(11, StreamId.Of(StreamId.Augment, 0, (uint)i));
            var box = AugmentationDraws.SampleCrop(rng, cfg, H, W);
            Assert.That(box.FitsIn(H, W), Is.True, box.ToString());
            double frac = (double)box.Height * box.Width / (H * W), ratio = (double)box.Width / box.Height;
            minFrac = Math.Min(minFrac, frac); maxFrac = Math.Max(maxFrac, frac);
            minRatio = Math.Min(minRatio, ratio); maxRatio = Math.Max(maxRatio, ratio);
        }
        // Rounding w and h to integers moves area and ratio by at most a few percent at this size.
        Assert.That(minFrac, Is.GreaterThanOrEqualTo(0.08 * 0.97).And.LessThan(0.1));
        Assert.That(maxFrac, Is.LessThanOrEqualTo(1.0).And.GreaterThan(0.9));
        Assert.That(minRatio, Is.GreaterThanOrEqualTo(0.75 * 0.97).And.LessThan(0.8));
        Assert.That(maxRatio, Is.LessThanOrEqualTo(4.0 / 3 * 1.03).And.GreaterThan(1.25));
    }

    [Test]
    public void CropFallsBackToCentreCropClippedToRatio()
    {
        // Ratios in [2, 3] with area ≈ the whole square image never fit: all 10 attempts fail.
        var cfg = AugmentationConfig.SimClr(32, 3) with { ScaleMin = 0.99f, RatioMin = 2f, RatioMax = 3f };
        var box = AugmentationDraws.SampleCrop(new RandomStream(1), cfg, 40, 40);
        Assert.That(box, Is.EqualTo(new CropBox(10, 0, 20, 40)));
    }

    [Test]
    public void FlipIsAnExactMirror()
    {
        var ds = Synthetic(2, 3, 16, 16);
        var eval = View(ds, 1, AugmentationConfig.Eval(16), 0, 0);
        var flipped = View(ds, 1, new AugmentationConfig { OutputSize = 16, FlipProbability = 1 }, 0, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++)
                    Assert.That(flipped[(c * 16 + y) * 16 + x], Is.EqualTo(eval[(c * 16 + y) * 16 + 15 - x]));
    }

    [Test]
    public void GrayscaleMakesChannelsEqual()
    {
        var ds = Synthetic(1, 3, 8, 8);
        var v = View(ds, 0, new AugmentationConfig { OutputSize = 8, GrayscaleProbability = 1 }, 0, 0);
        Assert.That(v.AsSpan(0, 64).ToArray(), Is.EqualTo(v.AsSpan(64, 64).ToArray()));
        Assert.That(v.AsSpan(0, 64).ToArray(), Is.EqualTo(v.AsSpan(128, 64).ToArray()));
        float expected = (ColorOps.LumaR * DatasetWriters.Pixel(0, 0, 0, 0) + ColorOps.LumaG * DatasetWriters.Pixel(0, 1, 0, 0) + ColorOps.LumaB * DatasetWriters.Pixel(0, 2, 0, 0)) / 255f;
        Assert.That(v[0], Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void EvalNormalisesExactlyAndResizesWhenAsked()
    {
        var ds = Synthetic(2, 3, 10, 10);
        var norm = new Normalization([0.4f, 0.5f, 0.6f], [0.2f, 0.25f, 0.3f]);
        var v = View(ds, 1, AugmentationConfig.Eval(10, norm), 0, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 10; x++)
                {
                    double expected = (DatasetWriters.Pixel(1, c, y, x) / 255.0 - norm.Mean[c]) / norm.Std[c];
                    Assert.That(v[(c * 10 + y) * 10 + x], Is.EqualTo(expected).Within(1e-5));
                }
        var small = View(ds, 1, AugmentationConfig.Eval(5, norm), 0, 0);
        Assert.That(small.Length, Is.EqualTo(3 * 25));
        // 2× downscale: output (0,0) is the triangle-weighted mean of the 4×4 corner, weights (1,3,3,1)/8 per axis clamped to (3,3,1)/7.
        double acc = 0; double[] w = [3 / 7.0, 3 / 7.0, 1 / 7.0];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) acc += w[y] * w[x] * DatasetWriters.Pixel(1, 0, y, x);
        Assert.That(small[0], Is.EqualTo((acc / 255 - 0.4) / 0.2).Within(1e-4));
    }

    [Test]
    public void BilinearUpscaleHasHalfPixelCentres()
    {
        var r = new float[4];
        new Engine.Data.Resampler().Resize([0, 255], 1, 1, 2, CropBox.Full(1, 2), 1, 4, false, r);
        Assert.That(r, Is.EqualTo(new[] { 0f, 63.75f, 191.25f, 255f }).Within(1e-4));
    }

    [Test]
    public void OneChannelImagesGetBrightnessAndContrastOnly()
    {
        var ds = Synthetic(3, 1, 28, 28);
        var cfg = AugmentationConfig.SimClr(28, 1) with { Seed = 5, RandomCrop = false, FlipProbability = 0, JitterProbability = 1 };
        var v = View(ds, 0, cfg, 0, 0);
        var eval = View(ds, 0, AugmentationConfig.Eval(28), 0, 0);
        Assert.That(v.All(float.IsFinite), Is.True);
        Assert.That(v, Is.Not.EqualTo(eval), "brightness/contrast changed it");
        // With only saturation and hue on, a grey image passes unchanged.
        var satHue = cfg with { Brightness = 0, Contrast = 0, GrayscaleProbability = 1 };
        Assert.That(View(ds, 0, satHue, 0, 0), Is.EqualTo(eval));
        using var data = new ResidentDataset(ds, CpuBackend.Instance);
        using var views = data.Augment([0, 1, 2], AugmentationConfig.SimClr(28, 1, normalization: DatasetCatalog.NormalizationFor("fashion-mnist")), 0, 0);
        Assert.That(views.ToArray().All(float.IsFinite), Is.True);
    }

    [Test]
    public void ColorOpsFollowTheirFormulas()
    {
        float[] red = [1f, 0f, 0f]; // one RGB pixel, planes of 1
        ColorOps.Hue(red, 3, 1, 1f / 3);
        Assert.That(red, Is.EqualTo(new[] { 0f, 1f, 0f }).Within(1e-6), "red + 1/3 turn = green");
        float[] px = [0.2f, 0.4f, 0.6f];
        ColorOps.Saturation(px, 3, 1, 0f);
        float grey = ColorOps.LumaR * 0.2f + ColorOps.LumaG * 0.4f + ColorOps.LumaB * 0.6f;
        Assert.That(px, Is.EqualTo(new[] { grey, grey, grey }).Within(1e-6));
        float[] img = [0.2f, 0.6f];
        ColorOps.Contrast(img, 1, 2, 0.5f);
        Assert.That(img, Is.EqualTo(new[] { 0.3f, 0.5f }).Within(1e-6), "halfway to the mean 0.4");
        ColorOps.Brightness(img, 3f);
        Assert.That(img, Is.EqualTo(new[] { 0.9f, 1f }).Within(1e-6), "scaled then clamped");
    }

    [Test]
    public void BlurKeepsConstantsAndUsesTenPercentKernels()
    {
        Assert.That(new[] { GaussianBlur.KernelSizeFor(32), GaussianBlur.KernelSizeFor(96), GaussianBlur.KernelSizeFor(224) }, Is.EqualTo(new[] { 3, 9, 23 }));
        var img = Enumerable.Repeat(0.7f, 3 * 12 * 12).ToArray();
        new GaussianBlur().Apply(img, 3, 12, 12, 5, 1.5f);
        Assert.That(img, Is.All.EqualTo(0.7f).Within(1e-6));
        var spike = new float[9 * 9];
        spike[40] = 1;
        new GaussianBlur().Apply(spike, 1, 9, 9, 3, 1f);
        double w0 = 1 / (1 + 2 * Math.Exp(-0.5));
        Assert.That(spike[40], Is.EqualTo(w0 * w0).Within(1e-6));
        Assert.That(spike.Sum(), Is.EqualTo(1).Within(1e-5));
    }

    [Test]
    public void DisablingAStepDoesNotShiftTheOtherDraws()
    {
        var cfg = AugmentationConfig.SimClr(96, 3) with { Seed = 2 };
        var a = AugmentationDraws.Draw(cfg, 96, 96, 4, 10, 0);
        var b = AugmentationDraws.Draw(cfg with { JitterProbability = 0, BlurProbability = 0 }, 96, 96, 4, 10, 0);
        Assert.That((b.Crop, b.Flip, b.Grayscale), Is.EqualTo((a.Crop, a.Flip, a.Grayscale)));
    }

    [Test]
    public void PresetsCarryThePapersSettings()
    {
        var s = AugmentationConfig.SimClr(96, 3, strength: 0.5f);
        Assert.That((s.ScaleMin, s.Brightness, s.Hue, s.JitterProbability, s.GrayscaleProbability, s.BlurProbability), Is.EqualTo((0.08f, 0.4f, 0.1f, 0.8f, 0.2f, 0.5f)));
        Assert.That(AugmentationConfig.SimClr(32, 3).BlurProbability, Is.EqualTo(0f));
        var n = AugmentationConfig.Npid(32, 3);
        Assert.That((n.ScaleMin, n.Brightness, n.Hue, n.JitterProbability, n.GrayscaleProbability, n.FlipProbability), Is.EqualTo((0.2f, 0.4f, 0.4f, 1f, 0.2f, 0.5f)));
        Assert.That(AugmentationConfig.Eval(32).IsRandom, Is.False);
        Assert.Throws<ArgumentException>(() => AugmentationConfig.SimClr(32, 3, normalization: new Normalization([0.1f, 0.2f], [1f, 1f])));
    }
}
