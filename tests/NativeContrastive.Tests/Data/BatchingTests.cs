using NativeContrastive.Engine.Data;
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
        List<(int[] Idx, int[] Lab, float[] V0, float[] V1)> Run(bool prefetch) =>
            new DataLoader(ds, sampler, [cfg, cfg], prefetch).Epoch(2)
                .Select(b => (b.Indices[..b.Size], b.Labels[..b.Size], (float[])b.Views[0].Clone(), (float[])b.Views[1].Clone())).ToList();
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
    public void FillViewsRejectsShortBuffersAndBadIndices()
    {
        var ds = new ImageDataset("t", 1, 4, 4, new byte[32], [0, 1], ["a", "b"]);
        var cfg = AugmentationConfig.Eval(4);
        Assert.Throws<ArgumentException>(() => BatchFiller.FillViews(ds, [0, 1], cfg, 0, 0, new float[31]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchFiller.FillViews(ds, [2], cfg, 0, 0, new float[16]));
        Assert.Throws<ArgumentException>(() => BatchFiller.FillEval(ds, [0], AugmentationConfig.SimClr(4, 1), new float[16]));
    }
}
