namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Linear warm-up then cosine decay (SimCLR, MoCo v2, solo-learn). For step s (0-based):
/// s &lt; W: lr = base·(s + 1)/W (the first step already moves, the last warm-up step reaches base);
/// W ≤ s &lt; T: lr = final + (base − final)·½·(1 + cos(π·(s − W)/(T − W)));
/// s ≥ T: lr = final.
/// </summary>
public sealed class WarmupCosineSchedule : ILearningRateSchedule
{
    public WarmupCosineSchedule(float baseLr, long warmupSteps, long totalSteps, float finalLr = 0f)
    {
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentException($"WarmupCosineSchedule: need 0 ≤ warmupSteps ({warmupSteps}) ≤ totalSteps ({totalSteps}).");
        BaseLr = baseLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        FinalLr = finalLr;
    }

    public float BaseLr { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }
    public float FinalLr { get; }

    public float At(long step)
    {
        if (step < WarmupSteps) return (float)(BaseLr * (double)(step + 1) / WarmupSteps);
        if (step >= TotalSteps) return FinalLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return (float)(FinalLr + (BaseLr - FinalLr) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
