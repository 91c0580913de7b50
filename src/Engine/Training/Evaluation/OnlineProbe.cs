using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// The online linear probe (solo-learn's online linear evaluation; the Keras NNCLR example's
/// linear_probe): a linear classifier on the encoder's features of the first view, trained during
/// pre-training with its own optimiser (Adam, lr 1e-3, no weight decay) on the labels of the batch,
/// and reported per epoch as the accuracy of its predictions on those training batches
/// (probe_acc in metrics.csv, taken before each of its updates, in percent). The predictions stay on the
/// device until <see cref="Drain"/> (with the step log) or <see cref="EndEpoch"/> scores them, so a step
/// does not wait for the device.
///
/// It is the same for every method and needs nothing from them: <see cref="TrainingStep"/> calls
/// <see cref="BeginStep"/> before the method's loss, which sets the encoder's
/// <see cref="Encoder.OutputObserver"/> to keep the first output of the step, and
/// <see cref="EndStep"/> after the method's backward pass. The probe takes the first B rows of
/// that output as view 0's features — every method encodes view 0 first, alone or with other
/// views concatenated after it — detaches them, and trains on the rows whose label is known
/// (unlabeled rows are skipped; a batch without labels is not used). The encoder's gradients are
/// complete before the probe runs and the probe's own graph starts at the detached features, so
/// it cannot change what the method trains.
///
/// Checkpoint: the classifier under "online_probe." ("online_probe.fc.weight", "online_probe.fc.bias"),
/// its Adam state under "online_probe.optimizer.", and its step count in the metadata, so a resumed
/// run continues the probe exactly too. Initial weights: PyTorch's Linear rule from Philox stream
/// (seed, Init, 1), apart from the model's stream (seed, Init, 0).
/// </summary>
public sealed class OnlineProbe : IDisposable
{
    public const string Prefix = "online_probe.", OptimizerPrefix = "online_probe.optimizer.", StepCountKey = "online_probe.optimizer_step_count";

    /// <summary>The metrics.csv column.</summary>
    public const string AccuracyColumn = "probe_acc";

    public const float LearningRate = 1e-3f;

    private readonly Encoder encoder;
    private readonly LinearHead head;
    private readonly Optimizer optimizer;
    private readonly FirstOutputWatch watch;
    private readonly Top1Tally accuracy = new();

    public OnlineProbe(Encoder encoder, int numClasses, IBackend backend, ulong seed)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"OnlineProbe: needs at least one class, got {numClasses}.");
        this.encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        NumClasses = numClasses;
        head = new LinearHead(encoder.FeatureDim, numClasses, backend, new RandomStream(seed, StreamId.Of(StreamId.Init, 1)));
        optimizer = OptimizerFactory.Create("adam", head.NamedParameters().ToList(), new OptimizerOptions { WeightDecay = 0f });
        watch = new FirstOutputWatch(encoder);
    }

    public int NumClasses { get; }

    /// <summary>The classifier (parameters "fc.weight" [classes, features], "fc.bias").</summary>
    public LinearHead Head => head;

    /// <summary>Probe updates taken so far.</summary>
    public long StepCount => optimizer.StepCount;

    /// <summary>Starts watching the encoder: its first output from now on is kept for <see cref="EndStep"/>.</summary>
    public void BeginStep() => watch.Begin();

    /// <summary>Stops watching the encoder (also on failure); <see cref="EndStep"/> calls it.</summary>
    public void StopWatching() => watch.Stop();

    /// <summary>
    /// One probe update on the kept features of view 0 (the first <paramref name="labels"/>.Length rows)
    /// and the labels ≥ 0 among <paramref name="labels"/>; false when nothing was trained (no features
    /// seen or no labeled row). Call after the method's backward pass, inside the step's scope.
    /// </summary>
    public bool EndStep(int[] labels)
    {
        int b = labels.Length;
        if (watch.Take(b) is not { } features) return false;

        var rows = new List<int>(b);
        for (int i = 0; i < b; i++) if (labels[i] >= 0) rows.Add(i);
        if (rows.Count == 0) return false;

        var backend = features.Backend;
        Tensor x;
        using (Tape.NoGrad())
        {
            var all = Ops.Detach(features).View(features.Dim(0), encoder.FeatureDim);
            x = Ops.Slice(all, 0, 0, b);
            if (rows.Count < b) x = Ops.GatherRows(x, IntTensor.FromArray(backend, rows.ToArray()));
        }
        var targets = rows.Select(i => labels[i]).ToArray();
        foreach (int y in targets)
            if (y >= NumClasses) throw new ArgumentOutOfRangeException(nameof(labels), $"OnlineProbe: label {y} outside the {NumClasses} classes.");

        optimizer.ZeroGrad();
        var logits = head.Forward(x);
        var loss = Ops.CrossEntropy(logits, IntTensor.FromArray(backend, targets));
        // The predictions before this update are the ones scored (as the Keras example's probe accuracy).
        accuracy.Add(logits, NumClasses, targets);
        Tape.Backward(loss);
        optimizer.Step(LearningRate);
        return true;
    }

    /// <summary>Scores the predictions of the steps since the last call (one read each; <see cref="TrainingStep.Drain"/> calls it with the step log).</summary>
    public void Drain() => accuracy.Drain();

    /// <summary>The epoch's accuracy in percent (absent when no labeled row was seen); starts the next epoch's count.</summary>
    public IReadOnlyDictionary<string, double> EndEpoch()
    {
        var metrics = new Dictionary<string, double>();
        if (accuracy.TakePercent() is double percent) metrics[AccuracyColumn] = percent;
        return metrics;
    }

    /// <summary>The classifier and its optimiser state, with their checkpoint names.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() =>
        head.StateDict(Prefix).Concat(optimizer.State().Select(s => (OptimizerPrefix + s.Name, s.Tensor)));

    public IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>
    {
        [StepCountKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
    };

    public void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(StepCountKey, out var text) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long steps))
            throw new FormatException($"expected metadata '{StepCountKey}' (the online probe's step count) as a non-negative integer.");
        optimizer.StepCount = steps;
    }

    public void Dispose()
    {
        StopWatching();
        accuracy.Dispose();
        optimizer.Dispose();
        head.Dispose();
    }
}
