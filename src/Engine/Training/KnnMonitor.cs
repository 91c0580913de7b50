using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training;

/// <summary>
/// Weighted kNN of an encoder (NPID protocol): features of the training images form the
/// bank, each test image is classified by its k nearest bank entries with weights exp(s/τ).
/// Used by the trainer as a monitor and by `nc knn` on a checkpoint.
/// </summary>
public static class KnnMonitor
{
    public static KnnScore Evaluate(Module encoder, ImageDataset bank, ImageDataset test, IBackend backend, int imageSize,
        int k, float temperature, int batchSize, CancellationToken cancellation = default)
    {
        if (!bank.IsLabeled) throw new TrainingException($"kNN: the training split of {bank.Name} has no labels to vote with.");
        if (!test.IsLabeled) throw new TrainingException($"kNN: the test split of {test.Name} has no labels to score against.");
        // Unlabeled rows (−1) cannot vote or be scored: keep the labeled ones.
        bank = Labeled(bank);
        test = Labeled(test);
        int classes = Math.Max(bank.NumClasses, test.NumClasses);
        using var scope = TensorScope.Begin();
        var bankFeatures = FeatureExtractor.Extract(encoder, bank, backend, batchSize, imageSize, bank.Normalization);
        cancellation.ThrowIfCancellationRequested();
        var testFeatures = FeatureExtractor.Extract(encoder, test, backend, batchSize, imageSize, bank.Normalization);
        cancellation.ThrowIfCancellationRequested();
        var r = KnnEvaluator.Evaluate(bankFeatures, bank.Labels, testFeatures, test.Labels, classes, k, temperature);
        return new KnnScore(100 * r.Top1, 100 * r.Top5, r.Count, bank.Count);
    }

    private static ImageDataset Labeled(ImageDataset ds)
    {
        if (Array.TrueForAll(ds.Labels, l => l >= 0)) return ds;
        var keep = Enumerable.Range(0, ds.Count).Where(i => ds.Labels[i] >= 0).ToArray();
        var pixels = new byte[(long)keep.Length * ds.ImageBytes];
        for (int j = 0; j < keep.Length; j++) ds.Image(keep[j]).CopyTo(pixels.AsSpan(j * ds.ImageBytes));
        return new ImageDataset(ds.Name, ds.Channels, ds.Height, ds.Width, pixels, keep.Select(i => ds.Labels[i]).ToArray(), ds.ClassNames, ds.Normalization);
    }
}
