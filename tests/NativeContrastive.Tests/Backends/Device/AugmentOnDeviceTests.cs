using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Methods;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// The data path on the emulated device backend: the data set resident as uint8, the loader's
/// views made by augment.cu (no prefetch thread), the evaluation's features — each equal to the
/// cpu backend's within the augment kernel's tolerance (bit-identical but for the contrast
/// mean's summation order: 5e-6, see AugmentKernelTests).
/// </summary>
public class AugmentOnDeviceTests
{
    private static ImageDataset Images(int n, int c, int side)
    {
        var pixels = new byte[n * c * side * side];
        new Random(n + c + side).NextBytes(pixels);
        return new ImageDataset("random", c, side, side, pixels, Enumerable.Range(0, n).Select(i => i % 3).ToArray(), ["a", "b", "c"]);
    }

    [Test]
    public void LoaderBatchesEqualTheCpuLoadersWithoutPrefetch()
    {
        var ds = Images(10, 3, 14);
        var cfg = AugmentationConfig.SimClr(12, 3, strength: 1f) with { Seed = 9, BlurProbability = 0.5f, BlurKernelSize = 3 };
        var sampler = BatchSampler.ForTraining(ds.Count, 4, seed: 2);
        List<(int[] Indices, int[] Labels, float[] V0, float[] V1)> Run(Engine.Backends.IBackend backend, out bool prefetch)
        {
            using var data = new ResidentDataset(ds, backend);
            var loader = new DataLoader(data, sampler, [cfg, cfg]);
            prefetch = loader.Prefetch;
            var batches = new List<(int[], int[], float[], float[])>();
            foreach (var lb in loader.Epoch(1))
            {
                using var scope = TensorScope.Begin();
                using var b = TrainingBatch.FromLoader(lb);
                Assert.That(b.Views[0].Backend, Is.SameAs(backend));
                batches.Add((b.Indices, b.Labels, b.Views[0].ToArray(), b.Views[1].ToArray()));
            }
            return batches;
        }
        var cpu = Run(CpuBackend.Instance, out bool cpuPrefetch);
        var emu = Run(EmuDevice.Backend, out bool emuPrefetch);
        Assert.That((cpuPrefetch, emuPrefetch), Is.EqualTo((true, false)));
        Assert.That(emu, Has.Count.EqualTo(cpu.Count));
        for (int k = 0; k < cpu.Count; k++)
        {
            Assert.That(emu[k].Indices, Is.EqualTo(cpu[k].Indices));
            Assert.That(emu[k].Labels, Is.EqualTo(cpu[k].Labels));
            KernelTests.Close.Assert(cpu[k].V0, emu[k].V0, 5e-6f, 0, $"batch {k} view 0");
            KernelTests.Close.Assert(cpu[k].V1, emu[k].V1, 5e-6f, 0, $"batch {k} view 1");
        }
    }

    [Test]
    public void EvalFeaturesOfResidentImagesEqualTheCpus()
    {
        var ds = Images(7, 1, 6);
        using var cpuEncoder = new FlattenLinear(CpuBackend.Instance, 16, 5, 3);
        using var emuEncoder = new FlattenLinear(EmuDevice.Backend, 16, 5, 3);
        using var scope = TensorScope.Begin();
        using var cpuData = new ResidentDataset(ds, CpuBackend.Instance);
        using var emuData = new ResidentDataset(ds, EmuDevice.Backend);
        // 6×6 images evaluated at 4×4: the eval path resizes on the device too.
        var c = FeatureExtractor.Extract(cpuEncoder, cpuData, batchSize: 3, imageSize: 4, indices: [6, 2, 0, 5]);
        var e = FeatureExtractor.Extract(emuEncoder, emuData, batchSize: 3, imageSize: 4, indices: [6, 2, 0, 5]);
        KernelTests.Close.Assert(c.ToArray(), e.ToArray(), 1e-6f, 1e-6f, "features");
    }
}
