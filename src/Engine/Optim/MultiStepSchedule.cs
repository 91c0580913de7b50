namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Step decay (NPID: ×0.1 at fixed steps): lr = base·γ^k where k is the number of
/// milestones ≤ step (torch.optim.lr_scheduler.MultiStepLR, counted in steps).
/// </summary>
public sealed class MultiStepSchedule : ILearningRateSchedule
{
    private readonly long[] milestones;

    public MultiStepSchedule(float baseLr, IEnumerable<long> milestones, float gamma = 0.1f)
    {
        BaseLr = baseLr;
        Gamma = gamma;
        this.milestones = milestones.Order().ToArray();
        if (this.milestones.Any(m => m < 0)) throw new ArgumentException($"MultiStepSchedule: milestones must be ≥ 0, got {string.Join(", ", this.milestones)}.");
    }

    public float BaseLr { get; }
    public float Gamma { get; }
    public IReadOnlyList<long> Milestones => milestones;

    public float At(long step)
    {
        int passed = milestones.Count(m => m <= step);
        return (float)(BaseLr * Math.Pow(Gamma, passed));
    }
}
