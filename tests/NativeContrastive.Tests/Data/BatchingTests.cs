using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Data;

public class BatchingTests
{
    [Test]
    public void TrainingOrderIsASeededPermutationPerEpochWithDropLast()
    {
        var s = BatchSampler.ForTraining(103, 10, seed: 9);
        Assert.That(s.BatchesPerEpoch, Is.EqualTo(10));
        var order = s.Order(0);
        Assert.That(order.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 103)));
        Assert.That(s.Order(0), Is.EqualTo(order));
        Assert.That(s.Order(1), Is.Not.EqualTo(order));
        Assert.That(BatchSampler.ForTraining(103, 10, seed: 10).Order(0), Is.Not.EqualTo(order));
        var batches = s.Batches(0).ToArray();
        Assert.That(batches.All(b => b.Count == 10), Is.True);
        Assert.That(batches.SelectMany(b => b).ToArray(), Is.EqualTo(order[..100]));
    }

    [Test]
    public void EvalKeepsOrderAndTheShortTail()
    {
        var s = BatchSampler.ForEval(25, 10);
        var batches = s.Batches(0).Select(b => b.ToArray()).ToArray();
        Assert.That(batches.Select(b => b.Length), Is.EqualTo(new[] { 10, 10, 5 }));
        Assert.That(batches.SelectMany(b => b), Is.EqualTo(Enumerable.Range(0, 25)));
    }

    [Test]
    public void LoaderGivesTheSameBatchesWithAndWithoutPrefetch()
    {
        var ds = new ImageDataset("t", 3, 12, 12, DatasetWriters.Images(20, 3, 12, 12), Enumerable.Range(0, 20).Select(i => i % 4).ToArray(), ["a", "b", "c", "d"]);
        var cfg = AugmentationConfig.SimClr(8, 3) with { Seed = 1 };
        var sampler = BatchSampler.ForTraining(ds.Count, 6, seed: 4);
        using var data = new ResidentDataset(ds, GradCheck.Cpu);
        List<(int[] Idx, int[] Lab, float[] V0, float[] V1)> Run(bool prefetch)
        {
            var loader = new DataLoader(data, sampler, [cfg, cfg], prefetch);
            Assert.That(loader.Prefetch, Is.EqualTo(prefetch), "the cpu backend computes on the host: prefetch as asked");
            return loader.Epoch(2).Select(b => (b.Indices[..b.Size], b.Labels[..b.Size], b.Views[0].ToArray(), b.Views[1].ToArray())).ToList();
        }
        var plain = Run(false);
        var pre = Run(true);
        Assert.That(plain.Count, Is.EqualTo(3));
        for (int k = 0; k < plain.Count; k++)
        {
            Assert.That(pre[k].Idx, Is.EqualTo(plain[k].Idx));
            Assert.That(pre[k].Lab, Is.EqualTo(plain[k].Idx.Select(i => i % 4).ToArray()));
            Assert.That(pre[k].V0, Is.EqualTo(plain[k].V0));
            Assert.That(pre[k].V1, Is.EqualTo(plain[k].V1));
            Assert.That(plain[k].V0, Is.Not.EqualTo(plain[k].V1), "two views differ");
        }
        Assert.That(plain.SelectMany(p => p.Idx).ToArray(), Is.EqualTo(sampler.Order(2)[..18]));
    }

    [Test]
    public void ATrainingBatchKeepsItsViewsAfterTheLoaderMovesOn()
    {
        var ds = new ImageDataset("t", 1, 10, 10, DatasetWriters.Images(12, 1, 10, 10), new int[12], ["a"]);
        var cfg = AugmentationConfig.Npid(10, 1) with { Seed = 2 };
        using var data = new ResidentDataset(ds, GradCheck.Cpu);
        var loader = new DataLoader(data, BatchSampler.ForTraining(ds.Count, 4, seed: 1), [cfg]);
        TrainingBatch? first = null;
        float[]? seen = null;
        int batches = 0;
        foreach (var lb in loader.Epoch(0))
        {
            if (first is null) { first = TrainingBatch.FromLoader(lb); seen = lb.Views[0].ToArray(); }
            batches++;
        }
        Assert.That(batches, Is.EqualTo(3));
        using (first)
        {
            Assert.That(first!.Views[0].ToArray(), Is.EqualTo(seen), "the loader released its reference, the batch still holds the storage");
            Assert.That(first.Indices, Is.EqualTo(BatchSampler.ForTraining(ds.Count, 4, seed: 1).Order(0)[..4]));
        }
    }

    [Test]
    public void AugmentViewsRejectsBadShapesIndicesCropsAndDraws()
    {
        var cpu = CpuBackend.Instance;
        var ds = new ImageDataset("t", 1, 4, 4, new byte[32], [0, 1], ["a", "b"]);
        using var data = new ResidentDataset(ds, cpu);
        var cfg = AugmentationConfig.Eval(4);
        var full = AugmentationDraws.Draw(cfg, 4, 4, 0, 0, 0);
        using var views = Tensor.Empty(cpu, 2, 1, 4, 4);
        using var small = Tensor.Empty(cpu, 2, 1, 3, 4);
        Assert.Throws<ArgumentException>(() => cpu.AugmentViews(data.Images, [0, 1], [full, full], cfg, small), "shape");
        Assert.Throws<ArgumentException>(() => cpu.AugmentViews(data.Images, [0, 1], [full], cfg, views), "draws per index");
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.AugmentViews(data.Images, [0, 2], [full, full], cfg, views), "index");
        var outside = full with { Crop = new CropBox(1, 0, 4, 4) };
        Assert.Throws<ArgumentException>(() => cpu.AugmentViews(data.Images, [0, 1], [full, outside], cfg, views), "crop");
        Assert.Throws<ArgumentException>(() => data.Augment([0], AugmentationConfig.Eval(4, new Normalization([0f, 0f, 0f], [1f, 1f, 1f])), 0, 0), "normalisation of 3 channels");
    }
}
