using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// A running top-1 accuracy whose predictions stay on the device until they are scored: <see cref="Add"/>
/// queues the arg-max of each row of the logits into a tensor that outlives the step and keeps the targets
/// on the host; <see cref="Drain"/> reads the queued predictions (the caller drains with the step log, so a
/// step never waits for the device, and a captured step has nothing to read) and counts the right ones.
/// Arg-max ties go to the lowest class (TopKRows).
/// </summary>
public sealed class Top1Tally : IDisposable
{
    private readonly List<(IntTensor Predicted, int[] Targets)> unscored = [];

    public long Correct { get; private set; }

    public long Seen { get; private set; }

    /// <summary>Queues the predictions of <paramref name="logits"/> [targets.Length, classes] for <paramref name="targets"/>.</summary>
    public void Add(Tensor logits, int classes, int[] targets)
    {
        int n = targets.Length;
        var backend = logits.Backend;
        using var noGrad = Tape.NoGrad();
        var top = Tensor.Empty(backend, n, 1);
        IntTensor predicted;
        using (TensorScope.Suspend()) predicted = IntTensor.Empty(backend, n, 1);
        unscored.Add((predicted, targets));
        backend.TopKRows(logits, n, classes, 1, top, predicted);
    }

    /// <summary>Reads and counts every queued prediction.</summary>
    public void Drain()
    {
        foreach (var (predicted, targets) in unscored)
        {
            var p = predicted.ToArray();
            for (int i = 0; i < p.Length; i++) if (p[i] == targets[i]) Correct++;
            Seen += p.Length;
            predicted.Dispose();
        }
        unscored.Clear();
    }

    /// <summary>The accuracy in percent since the last call (null when nothing was seen), and a new count.</summary>
    public double? TakePercent()
    {
        Drain();
        double? percent = Seen > 0 ? 100.0 * Correct / Seen : null;
        Correct = Seen = 0;
        return percent;
    }

    public void Dispose()
    {
        foreach (var (predicted, _) in unscored) predicted.Dispose();
        unscored.Clear();
    }
}
