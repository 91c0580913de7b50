using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// augment.cu on the emulator against the cpu primitive (Augmenter.Apply per view) on the same
/// uint8 images and the same host draws: each step on its own, then all together, on a grey
/// 1×28×28 → 28 set, an RGB 3×32×32 → 32 set and odd shapes (non-square downscale, upscale,
/// 37 columns: the blur stages them in a group of 32 and one of 5).
/// Tolerances: the kernel rounds every product before adding it, as C# does, so steps without a
/// reduction are bit-identical (atol 0); contrast uses the mean grey level, summed in another
/// order than C#'s SIMD sum: the last bits of the mean move the contrast output by ≤ 1e-6, and
/// after the hue rotation and the normalisation (|y| ≤ 4 here, an ulp is 4.8e-7) by a few ulp,
/// hence 5e-6 for the combined cases (measured: up to 2.3e-6).
/// </summary>
public class AugmentKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static ImageDataset Images(int n, int c, int h, int w)
    {
        var pixels = new byte[n * c * h * w];
        new Random(n * 131 + c * 17 + h * 7 + w).NextBytes(pixels);
        // A few grey and saturated pixels: hue/saturation edge cases (chroma 0, max 255).
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                pixels[((i * c + ch) * h + 0) * w + 0] = 128;
                pixels[((i * c + ch) * h + h - 1) * w + w - 1] = (byte)(ch == 0 ? 255 : 0);
            }
        return new ImageDataset("random", c, h, w, pixels, new int[n], ["x"]);
    }

    private static readonly Normalization Grey = new([0.286f], [0.353f]);
    private static readonly Normalization Rgb = new([0.4914f, 0.4822f, 0.4465f], [0.247f, 0.243f, 0.261f]);

    /// <summary>Configurations that switch one step on with probability 1, then all of them.</summary>
    private static IEnumerable<(string Step, AugmentationConfig Config, float Atol)> Steps(int size, int channels)
    {
        var norm = channels == 3 ? Rgb : Grey;
        AugmentationConfig Only(AugmentationConfig c) => c with { OutputSize = size, Seed = 11 };
        yield return ("crop+resize", Only(new() { OutputSize = size, RandomCrop = true }), 0);
        yield return ("flip", Only(new() { OutputSize = size, FlipProbability = 1 }), 0);
        yield return ("brightness", Only(new() { OutputSize = size, JitterProbability = 1, Brightness = 0.8f }), 0);
        yield return ("contrast", Only(new() { OutputSize = size, JitterProbability = 1, Contrast = 0.8f }), 1e-6f);
        yield return ("saturation", Only(new() { OutputSize = size, JitterProbability = 1, Saturation = 0.8f }), 0);
        yield return ("hue", Only(new() { OutputSize = size, JitterProbability = 1, Hue = 0.5f }), 0);
        yield return ("grayscale", Only(new() { OutputSize = size, GrayscaleProbability = 1 }), 0);
        yield return ("blur", Only(new() { OutputSize = size, BlurProbability = 1, BlurKernelSize = 5 }), 0);
        yield return ("normalise", Only(new() { OutputSize = size, Normalization = norm }), 0);
        yield return ("all", AugmentationConfig.SimClr(size, channels, strength: 1f, normalization: norm) with
        {
            Seed = 11, JitterProbability = 1, GrayscaleProbability = 0.3f, BlurProbability = 0.5f, BlurKernelSize = 5,
        }, 5e-6f);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (c, h, w, s) in new[] { (1, 28, 28, 28), (3, 32, 32, 32) })
            foreach (var (step, cfg, atol) in Steps(s, c))
                yield return new TestCaseData(c, h, w, cfg, atol).SetName($"{step} {c}x{h}x{w} to {s}");
        foreach (var (c, h, w, s) in new[] { (3, 21, 27, 13), (3, 11, 9, 19), (1, 30, 17, 7), (3, 40, 44, 37) })
        {
            var (_, cfg, atol) = Steps(s, c).Last();
            yield return new TestCaseData(c, h, w, cfg, atol).SetName($"all {c}x{h}x{w} to {s}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesTheCpuPrimitive(int channels, int height, int width, AugmentationConfig cfg, float atol)
    {
        var ds = Images(6, channels, height, width);
        int[] indices = [3, 0, 5, 3, 1, 2, 4];
        // Several epochs and views: different crops, flips and jitter orders per record.
        var draws = indices.Select((i, b) => AugmentationDraws.Draw(cfg, height, width, epoch: b % 3, i, view: b % 2)).ToArray();
        int s = cfg.OutputSize;

        var cpu = CpuBackend.Instance;
        using var resident = new ResidentDataset(ds, cpu);
        using var expected = Tensor.Empty(cpu, indices.Length, channels, s, s);
        cpu.AugmentViews(resident.Images, indices, draws, cfg, expected);

        using var images = Up(ds.Pixels);
        using var records = Up(AugmentViewRecords.Pack(cfg, channels, indices, draws));
        using var output = Zeros((long)indices.Length * channels * s * s);
        new AugmentKernels(Driver).AugmentViews(images, ds.Count, channels, height, width, records, indices.Length, s,
            AugmentViewRecords.BlurTaps(cfg), output);

        var e = expected.ToArray();
        var a = output.ToArray<float>();
        TestContext.Out.WriteLine($"max |emu − cpu| = {e.Zip(a, (x, y) => Math.Abs(x - y)).Max():G3}");
        Close.Assert(e, a, atol, 0, "emu vs cpu");
    }

    [Test]
    public void EveryStepOfTheCombinedCaseActuallyRan()
    {
        // The combined configuration above must exercise what it claims: some records jitter in
        // each of several orders, some are grey, some blurred, some flipped.
        var (_, cfg, _) = Steps(32, 3).Last();
        var draws = Enumerable.Range(0, 7).Select(b => AugmentationDraws.Draw(cfg, 32, 32, b % 3, new[] { 3, 0, 5, 3, 1, 2, 4 }[b], b % 2)).ToArray();
        var records = AugmentViewRecords.Pack(cfg, 3, [3, 0, 5, 3, 1, 2, 4], draws);
        Assert.That(records.Select(r => string.Join(",", r.Jitter[0], r.Jitter[1], r.Jitter[2], r.Jitter[3])).Distinct().Count(), Is.GreaterThan(3));
        Assert.That(records.Any(r => r.Grayscale == 1) && records.Any(r => r.Grayscale == 0), Is.True, "grayscale");
        Assert.That(records.Any(r => r.Blur == 1) && records.Any(r => r.Blur == 0), Is.True, "blur");
        Assert.That(records.Any(r => r.Flip == 1) && records.Any(r => r.Flip == 0), Is.True, "flip");
    }

    [Test]
    public void RejectsWhatTheKernelCannotDo()
    {
        var k = new AugmentKernels(Driver);
        using var images = Up(new byte[5 * 8 * 8]);
        using var records = Up(new AugmentView[1]);
        using var output = Zeros(5 * 8 * 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => k.AugmentViews(images, 1, 5, 8, 8, records, 1, 8, 0, output), "5 channels");
        Assert.Throws<ArgumentOutOfRangeException>(() => k.AugmentViews(images, 1, 1, 8, 8, records, 1, 8, 4, output), "even blur kernel");
        Assert.Throws<ArgumentException>(() => k.AugmentViews(images, 6, 1, 8, 8, records, 1, 8, 0, output), "too few image bytes");
        Assert.Throws<ArgumentException>(() => k.AugmentViews(images, 1, 1, 8, 8, records, 2, 8, 0, output), "too few records");
        // A 4000² image squeezed to 2×2 needs 4001-tap filters: 64 KiB of shared memory per block.
        using var large = DeviceBuffer.Allocate(Driver, 4000L * 4000);
        var e = Assert.Throws<ArgumentException>(() => k.AugmentViews(large, 1, 1, 4000, 4000, records, 1, 2, 0, output))!;
        Assert.That(e.Message, Does.Contain("shared memory"));
    }
}
