using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// Weighted kNN of an encoder (NPID protocol): features of the training images form the
/// bank, each test image is classified by its k nearest bank entries with weights exp(s/τ).
/// Used by the trainer as a monitor (on the data sets it keeps on its backend) and by `nc knn`
/// on a checkpoint. Unlabeled images (label −1) neither vote nor count.
/// </summary>
public static class KnnMonitor
{
    public static KnnScore Evaluate(Module encoder, ResidentDataset bank, ResidentDataset test, int imageSize,
        int k, float temperature, int batchSize, CancellationToken cancellation = default)
    {
        RequireLabels(bank.Dataset, test.Dataset);
        var bankRows = LabeledRows(bank.Dataset);
        using var scope = TensorScope.Begin();
        var bankFeatures = FeatureExtractor.Extract(encoder, bank, batchSize, imageSize, bank.Dataset.Normalization, bankRows);
        cancellation.ThrowIfCancellationRequested();
        return Score(encoder, bankFeatures, bank.Dataset, bankRows, test, imageSize, k, temperature, batchSize, cancellation);
    }

    /// <summary>
    /// The same with the view bank of the steps (--knn-bank views) as the bank: its rows <paramref name="rows"/>
    /// (written since the last monitor; the labeled ones vote) against the test images, which are the only ones
    /// encoded. <paramref name="train"/> gives the rows' labels.
    /// </summary>
    public static KnnScore Evaluate(Module encoder, ViewFeatureBank bank, int[] rows, ImageDataset train, ResidentDataset test, int imageSize,
        int k, float temperature, int batchSize, CancellationToken cancellation = default)
    {
        RequireLabels(train, test.Dataset);
        var bankRows = rows.Where(i => train.Labels[i] >= 0).ToArray();
        if (bankRows.Length == 0) throw new TrainingException("kNN: no labeled training image was seen since the last monitor (--knn-bank views).");
        using var scope = TensorScope.Begin();
        Tensor bankFeatures;
        using (Autograd.Tape.NoGrad())
            bankFeatures = Autograd.Ops.GatherRows(bank.Rows, IntTensor.FromArray(bank.Rows.Backend, bankRows));
        return Score(encoder, bankFeatures, train, bankRows, test, imageSize, k, temperature, batchSize, cancellation);
    }

    /// <summary>The test split's labeled images encoded and voted on by <paramref name="bankFeatures"/> (rows <paramref name="bankRows"/> of <paramref name="train"/>).</summary>
    private static KnnScore Score(Module encoder, Tensor bankFeatures, ImageDataset train, int[] bankRows, ResidentDataset test, int imageSize,
        int k, float temperature, int batchSize, CancellationToken cancellation)
    {
        var testRows = LabeledRows(test.Dataset);
        int classes = Math.Max(train.NumClasses, test.Dataset.NumClasses);
        var testFeatures = FeatureExtractor.Extract(encoder, test, batchSize, imageSize, train.Normalization, testRows);
        cancellation.ThrowIfCancellationRequested();
        var r = KnnEvaluator.Evaluate(bankFeatures, LabelsOf(train, bankRows), testFeatures, LabelsOf(test.Dataset, testRows), classes, k, temperature);
        return new KnnScore(100 * r.Top1, 100 * r.Top5, r.Count, bankRows.Length);
    }

    private static void RequireLabels(ImageDataset train, ImageDataset test)
    {
        if (!train.IsLabeled) throw new TrainingException($"kNN: the training split of {train.Name} has no labels to vote with.");
        if (!test.IsLabeled) throw new TrainingException($"kNN: the test split of {test.Name} has no labels to score against.");
    }

    /// <summary>The same on data sets not yet on <paramref name="backend"/>: both are uploaded for the call.</summary>
    public static KnnScore Evaluate(Module encoder, ImageDataset bank, ImageDataset test, IBackend backend, int imageSize,
        int k, float temperature, int batchSize, CancellationToken cancellation = default)
    {
        using var bankData = new ResidentDataset(bank, backend);
        using var testData = new ResidentDataset(test, backend);
        return Evaluate(encoder, bankData, testData, imageSize, k, temperature, batchSize, cancellation);
    }

    private static int[] LabeledRows(ImageDataset ds) => Enumerable.Range(0, ds.Count).Where(i => ds.Labels[i] >= 0).ToArray();

    private static int[] LabelsOf(ImageDataset ds, int[] rows) => rows.Select(i => ds.Labels[i]).ToArray();
}
