using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

/// <summary>
/// The cpu backend's AugmentViews (the loader's and the evaluation's path since views are made
/// on the backend) is exactly the per-image Augmenter the loader used before: same draws, same
/// arithmetic, bit-identical views.
/// </summary>
public class AugmentViewsTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var rgb = new Normalization([0.4914f, 0.4822f, 0.4465f], [0.247f, 0.243f, 0.261f]);
        yield return new TestCaseData(3, 32, 32, AugmentationConfig.SimClr(32, 3, normalization: rgb) with { Seed = 5, BlurProbability = 0.5f, BlurKernelSize = 5 })
            .SetName("SimCLR 3x32x32 with blur");
        yield return new TestCaseData(3, 32, 32, AugmentationConfig.Npid(24, 3, rgb) with { Seed = 6 }).SetName("NPID 3x32x32 to 24");
        yield return new TestCaseData(1, 28, 28, AugmentationConfig.SimClr(28, 1, normalization: new([0.286f], [0.353f])) with { Seed = 7 })
            .SetName("SimCLR 1x28x28");
        yield return new TestCaseData(3, 96, 96, AugmentationConfig.SimClr(96, 3) with { Seed = 8 }).SetName("SimCLR 3x96x96 (auto 9-tap blur)");
        yield return new TestCaseData(3, 21, 17, AugmentationConfig.Eval(12, rgb)).SetName("eval 3x21x17 resized to 12");
    }

    [TestCaseSource(nameof(Cases))]
    public void CpuPrimitiveEqualsThePerImageAugmenter(int channels, int height, int width, AugmentationConfig cfg)
    {
        var ds = new ImageDataset("t", channels, height, width, DatasetWriters.Images(9, channels, height, width), new int[9], ["x"]);
        using var data = new ResidentDataset(ds, CpuBackend.Instance);
        int[] indices = [8, 2, 5, 2, 0, 7];
        int per = channels * cfg.OutputSize * cfg.OutputSize;
        foreach (var (epoch, view) in new[] { (0, 0), (3, 1) })
        {
            using var views = data.Augment(indices, cfg, epoch, view);
            var got = views.ToArray();
            for (int b = 0; b < indices.Length; b++)
            {
                var expected = new float[per];
                new Augmenter().Augment(ds, indices[b], cfg, epoch, view, expected);
                Assert.That(got.AsSpan(b * per, per).ToArray(), Is.EqualTo(expected), $"view {b} (sample {indices[b]}), epoch {epoch}, view {view}");
            }
        }
    }
}
