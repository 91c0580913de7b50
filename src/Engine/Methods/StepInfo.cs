namespace NativeContrastive.Engine.Methods;

/// <summary>
/// Where a step stands in the run, as the method's per-step hooks see it: the 0-based global
/// optimiser step (what SwAV's prototype freezing counts), the 1-based epoch and step within it,
/// and the steps of an epoch.
/// </summary>
public readonly record struct StepInfo(long GlobalStep, int Epoch, int StepInEpoch, int StepsPerEpoch)
{
    /// <summary>A step outside a run (tests, profiling): global step 0 of epoch 1.</summary>
    public static StepInfo First => new(0, 1, 1, 1);
}
