namespace NativeContrastive.Engine.Optim;

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantSchedule(float lr) : ILearningRateSchedule
{
    public float Lr { get; } = lr;

    public float At(long step) => Lr;
}
