using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Evaluation;

namespace NativeContrastive.Engine.Methods.Supervised;

/// <summary>
/// The cross-entropy baseline SupCon is compared with (Khosla et al. 2020; the seed article's
/// "usual classification"): the same encoder with a linear classifier "classifier." on its
/// features, trained end to end on one augmented view per image with cross-entropy (mean over the
/// batch), optionally against label-smoothed targets (1 − ε)·one-hot + ε/C. Per epoch: train_acc,
/// the accuracy of the classifier's predictions on the training batches (before each update).
/// </summary>
public sealed class SupervisedMethod : ContrastiveMethod
{
    public const string TrainAccuracyColumn = "train_acc";

    private readonly Top1Tally accuracy = new();   // train_acc, read back with the step log

    public SupervisedMethod(Module encoder, Module classifier, int numClasses, SupervisedOptions options) : base(encoder)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"supervised: needs at least one class, got {numClasses}.");
        NumClasses = numClasses;
    }

    public override string Name => "supervised";

    public override int ViewCount => 1;

    /// <summary>Linear map from the features to the class logits.</summary>
    public Module Classifier { get; }

    /// <summary>The classifier: its logits are the embedding after the head.</summary>
    public override Module? Head => Classifier;

    public int NumClasses { get; }

    public SupervisedOptions Options { get; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("classifier.", Classifier);
    }

    public override Tensor Loss(TrainingBatch batch, StepInfo step)
    {
        if (batch.Views.Length != 1) throw new ArgumentException($"supervised needs 1 view per sample, the batch has {batch.Views.Length}.");
        batch.RequireLabels("supervised");
        int b = batch.Size, c = NumClasses;
        foreach (int y in batch.Labels)
            if (y >= c) throw new ArgumentOutOfRangeException(nameof(batch), $"supervised: label {y} outside the {c} classes.");
        var h = Encoder.Forward(batch.Views[0]);
        if (h.Rank != 2) h = Ops.Flatten(h);
        var logits = Classifier.Forward(h);
        var backend = logits.Backend;
        Tensor loss;
        if (Options.LabelSmoothing == 0f)
            loss = Ops.CrossEntropy(logits, IntTensor.FromArray(backend, batch.Labels));
        else
        {
            float eps = Options.LabelSmoothing, off = eps / c;
            var q = new float[b * c];
            for (int i = 0; i < b; i++)
            {
                q.AsSpan(i * c, c).Fill(off);
                q[i * c + batch.Labels[i]] += 1f - eps;
            }
            loss = Ops.SoftCrossEntropy(logits, Tensor.FromArray(backend, q, b, c));
        }
        accuracy.Add(logits, c, batch.Labels);
        return loss;
    }

    public override void DrainMetrics() => accuracy.Drain();

    public override MethodEpochReport EndEpoch(EpochLosses losses)
    {
        var m = new Dictionary<string, double>();
        if (accuracy.TakePercent() is double percent) m[TrainAccuracyColumn] = percent;
        return new MethodEpochReport(m, []);
    }

    protected override void Dispose(bool disposing)
    {
        accuracy.Dispose();
        base.Dispose(disposing);
    }
}
