using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Evaluation;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>The loss of one step and the learning rate it was taken with.</summary>
public readonly record struct StepOutcome(float Loss, float LearningRate);

/// <summary>
/// One optimisation step, as the trainer and `nc profile` both take it: inside a
/// <see cref="TensorScope"/>, zero the gradients, take the loader's views, the method's loss,
/// back-propagation through the tape, the method's <see cref="ContrastiveMethod.BeforeOptimizerStep"/>
/// (parameters that sit the step out), the optimiser step at the schedule's rate for the global
/// step, then the method's own state update (memory bank, queue, prototype normalisation), then the
/// <see cref="OnlineProbe"/>'s update when there is one (on the detached features of view 0 the
/// method's loss computed; it changes nothing the method trains), then the same features into the
/// <see cref="ViewFeatureBank"/> with --knn-bank views, then the moving average of the weights when there is one.
/// <para>
/// A step does not wait for the device: its loss and the check that every weight is still finite go
/// to a <see cref="StepLog"/> on the device, and <see cref="Drain"/> reads the log back for several
/// steps at once (the caller drains when <see cref="MustDrain"/>, at the end of an epoch and before
/// anything is written). A loss or a weight that is not finite throws a <see cref="TrainingException"/>
/// at the drain naming the step that produced it; the steps queued after it have run by then, but
/// nothing of them is kept, since the run stops before its next checkpoint. With a <see cref="StepGraph"/>
/// (--cuda-graphs) the step is captured and launched as one graph.
/// </para>
/// </summary>
public sealed class TrainingStep(ContrastiveMethod method, Optimizer optimizer, ILearningRateSchedule schedule, int stepsPerEpoch,
                                 OnlineProbe? probe = null, WeightAverage? ema = null, int logCapacity = StepLog.DefaultCapacity,
                                 StepGraph? graph = null, ViewFeatureBank? viewBank = null) : IDisposable
{
    private StepLog? log;

    /// <summary>With --cuda-graphs, what runs each step as one captured graph; else null.</summary>
    public StepGraph? Graph => graph;

    /// <summary>The online probe trained with each step, or null.</summary>
    public OnlineProbe? Probe => probe;

    /// <summary>True when the log is full: <see cref="Drain"/> before the next <see cref="Run"/>.</summary>
    public bool MustDrain => log?.IsFull ?? false;

    /// <summary>
    /// Queues the step on <paramref name="batch"/> at 0-based <paramref name="globalStep"/> (the
    /// schedule's position); its loss comes with <see cref="Drain"/>.
    /// </summary>
    public void Run(LoaderBatch batch, long globalStep, int epoch, int stepInEpoch)
    {
        log ??= new StepLog(method.NamedParameters()[0].Tensor.Backend, WatchedWeights(), logCapacity);
        if (log.IsFull) throw new InvalidOperationException("TrainingStep: the step log is full; drain it first.");
        if (graph is null) Queue(batch, globalStep, epoch, stepInEpoch, log);
        else graph.Run(() => Queue(batch, globalStep, epoch, stepInEpoch, log));
    }

    /// <summary>The step's device work, host code in order (the graph capture records it as it is queued).</summary>
    private void Queue(LoaderBatch batch, long globalStep, int epoch, int stepInEpoch, StepLog log)
    {
        using var scope = TensorScope.Begin();
        optimizer.ZeroGrad();
        using var views = TrainingBatch.FromLoader(batch);
        var info = new StepInfo(globalStep, epoch, stepInEpoch, stepsPerEpoch);
        probe?.BeginStep();
        viewBank?.BeginStep();
        Tensor loss;
        try
        {
            loss = method.Loss(views, info);
        }
        finally
        {
            probe?.StopWatching();
            viewBank?.StopWatching();
        }
        Tape.Backward(loss);
        float lr = schedule.At(globalStep);
        optimizer.Step(lr, method.BeforeOptimizerStep(info));
        method.AfterOptimizerStep(views, info);
        probe?.EndStep(views.Labels);
        viewBank?.Record(views.Indices);
        ema?.Update();   // after the method's update, so the average sees renormalised prototypes
        log.Record(loss, new PendingStep(globalStep, epoch, stepInEpoch, lr));
    }

    /// <summary>
    /// The queued steps' outcomes in order (one wait for the device). Throws a <see cref="TrainingException"/>
    /// naming the epoch and step of the first loss that is not finite, or of the first step after which a
    /// weight is not finite (and which weight).
    /// </summary>
    public IReadOnlyList<(PendingStep Step, StepOutcome Outcome)> Drain()
    {
        if (log is null) return [];
        var steps = log.Drain();
        probe?.Drain();
        method.DrainMetrics();
        var outcomes = new List<(PendingStep, StepOutcome)>(steps.Count);
        foreach (var (step, loss, nonFinite) in steps)
        {
            if (!float.IsFinite(loss))
            {
                Tape.Clear();
                throw new TrainingException(string.Create(CultureInfo.InvariantCulture,
                    $"the loss became {loss} at epoch {step.Epoch}, step {step.StepInEpoch} (lr {step.LearningRate:G4}); try a smaller --lr or more --warmup-epochs."));
            }
            if (nonFinite > 0)
            {
                // The count names the step; the weights as they are now name the tensor (a non-finite value stays so).
                string what = NonFinite.FindFirst(method.NamedParameters().Concat(probe?.State() ?? [])) is { } bad
                    ? $"weight '{bad.Name}' is not finite after the step at epoch {step.Epoch}, step {step.StepInEpoch} (lr {step.LearningRate:G4}): {bad.What}"
                    : $"{nonFinite} weight values were not finite after the step at epoch {step.Epoch}, step {step.StepInEpoch} (lr {step.LearningRate:G4})";
                throw new TrainingException(string.Create(CultureInfo.InvariantCulture, $"{what}; try a smaller --lr or more --warmup-epochs."));
            }
            outcomes.Add((step, new StepOutcome(loss, step.LearningRate)));
        }
        return outcomes;
    }

    private List<Tensor> WatchedWeights() =>
        method.NamedParameters().Concat(probe?.State() ?? []).Select(t => t.Tensor).Where(t => t.Length > 0).ToList();

    public void Dispose() => log?.Dispose();
}
