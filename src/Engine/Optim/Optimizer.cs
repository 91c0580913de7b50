using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Updates parameters from their gradients. The learning rate is passed per step so that
/// schedules stay separate (see ILearningRateSchedule). State tensors (momentum, Adam
/// moments) are named so checkpoints can save and restore them exactly.
/// </summary>
public abstract class Optimizer : IDisposable
{
    protected Optimizer(IReadOnlyList<(string Name, Tensor Tensor)> parameters) => Parameters = parameters;

    public IReadOnlyList<(string Name, Tensor Tensor)> Parameters { get; }

    /// <summary>Number of completed steps (Adam's bias correction uses it; saved in checkpoints).</summary>
    public long StepCount { get; set; }

    /// <summary>Applies one update with learning rate <paramref name="lr"/>, then counts the step.</summary>
    public abstract void Step(float lr);

    /// <summary>Optimiser state with names unique within the optimiser (e.g. "momentum.layer1.0.conv1.weight").</summary>
    public abstract IEnumerable<(string Name, Tensor Tensor)> State();

    public void ZeroGrad()
    {
        foreach (var (_, p) in Parameters) p.Backend.Fill(p.Grad!, 0f);
    }

    public virtual void Dispose()
    {
        foreach (var (_, t) in State()) t.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Learning rate as a function of the global step (0-based).</summary>
public interface ILearningRateSchedule
{
    float At(long step);
}
