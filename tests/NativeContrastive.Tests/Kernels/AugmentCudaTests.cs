using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// augment.cu on a real GPU against the cpu primitive, every step on (SimCLR with blur, RGB and
/// grey). atol 1e-5: products are unfused as on the cpu, so only the contrast mean (summation
/// order) and the blur weights (the GPU's expf, within 2 ulp) may differ in the last bits.
/// Skipped with the reason when no CUDA driver or device is present.
/// </summary>
public class AugmentCudaTests : CudaKernelTest
{

    [TestCase(3, 32, 32, 32)]
    [TestCase(3, 96, 96, 96)]
    [TestCase(1, 28, 28, 28)]
    [TestCase(3, 37, 29, 24)]
    public void MatchesTheCpuPrimitive(int channels, int height, int width, int size)
    {
        var norm = channels == 3 ? new Normalization([0.4914f, 0.4822f, 0.4465f], [0.247f, 0.243f, 0.261f]) : new Normalization([0.286f], [0.353f]);
        var cfg = AugmentationConfig.SimClr(size, channels, strength: 1f, normalization: norm) with { Seed = 3, BlurProbability = 0.5f };
        var pixels = new byte[64 * channels * height * width];
        new Random(5).NextBytes(pixels);
        var ds = new ImageDataset("random", channels, height, width, pixels, new int[64], ["x"]);
        var indices = Enumerable.Range(0, 256).Select(i => i * 29 % 64).ToArray();
        var draws = indices.Select((i, b) => AugmentationDraws.Draw(cfg, height, width, 1, i, b % 2)).ToArray();

        using var resident = new ResidentDataset(ds, CpuBackend.Instance);
        using var expected = Tensor.Empty(CpuBackend.Instance, indices.Length, channels, size, size);
        CpuBackend.Instance.AugmentViews(resident.Images, indices, draws, cfg, expected);

        using var images = DeviceBuffer.From(Cuda, pixels);
        using var records = DeviceBuffer.From(Cuda, AugmentViewRecords.Pack(cfg, channels, indices, draws));
        using var output = DeviceBuffer.Allocate<float>(Cuda, (long)indices.Length * channels * size * size);
        new AugmentKernels(Cuda).AugmentViews(images, ds.Count, channels, height, width, records, indices.Length, size,
            AugmentViewRecords.BlurTaps(cfg), output);
        Cuda.Synchronize();
        var e = expected.ToArray();
        var a = output.ToArray<float>();
        TestContext.Out.WriteLine($"max |cuda − cpu| = {e.Zip(a, (x, y) => Math.Abs(x - y)).Max():G3}");
        Close.Assert(e, a, 1e-5f, 0, "cuda vs cpu");
    }
}
