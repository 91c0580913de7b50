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
/// method's loss computed; it changes nothing the method trains), then the moving average of the
/// weights when there is one. Reading the loss (to check it
/// is finite) waits for the device, so a step is complete when <see cref="Run"/> returns.
/// </summary>
public sealed class TrainingStep(ContrastiveMethod method, Optimizer optimizer, ILearningRateSchedule schedule, int stepsPerEpoch,
                                 OnlineProbe? probe = null, WeightAverage? ema = null)
{
    /// <summary>The online probe trained with each step, or null.</summary>
    public OnlineProbe? Probe => probe;

    /// <summary>
    /// Runs the step on <paramref name="batch"/> at 0-based <paramref name="globalStep"/> (the
    /// schedule's position). A loss that is not finite throws a <see cref="TrainingException"/>
    /// naming <paramref name="epoch"/> and <paramref name="stepInEpoch"/>; nothing is updated then.
    /// </summary>
    public StepOutcome Run(LoaderBatch batch, long globalStep, int epoch, int stepInEpoch)
    {
        using var scope = TensorScope.Begin();
        optimizer.ZeroGrad();
        using var views = TrainingBatch.FromLoader(batch);
        var info = new StepInfo(globalStep, epoch, stepInEpoch, stepsPerEpoch);
        probe?.BeginStep();
        Tensor loss;
        float value;
        try
        {
            loss = method.Loss(views, info);
            value = loss.Item();
        }
        finally
        {
            probe?.StopWatching();
        }
        if (!float.IsFinite(value))
        {
            Tape.Clear();
            throw new TrainingException(string.Create(CultureInfo.InvariantCulture,
                $"the loss became {value} at epoch {epoch}, step {stepInEpoch} (lr {schedule.At(globalStep):G4}); try a smaller --lr or more --warmup-epochs."));
        }
        Tape.Backward(loss);
        float lr = schedule.At(globalStep);
        optimizer.Step(lr, method.BeforeOptimizerStep(info));
        method.AfterOptimizerStep(views, info);
        probe?.EndStep(views.Labels);
        ema?.Update();   // after the method's update, so the average sees renormalised prototypes
        return new StepOutcome(value, lr);
    }
}
