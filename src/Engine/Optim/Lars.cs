using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// LARS as SimCLR uses it (You et al. 2017; SimCLR's lars_optimizer.py): per parameter
/// tensor, weight decay added to the gradient and the learning rate scaled by the trust
/// ratio η·‖w‖/‖g + wd·w‖, with momentum. Parameters the exclusion predicate picks (by
/// default <see cref="ParameterFilters.IsBatchNormOrBias"/>) get neither weight decay nor
/// adaptation: plain momentum SGD. State "momentum.&lt;param&gt;" holds the velocity, which
/// includes the learning rate (SimCLR's convention; see <see cref="IBackend.LarsUpdate"/>).
/// </summary>
public sealed class Lars : Optimizer
{
    private readonly Tensor[] velocities;
    private readonly bool[] excluded;

    public Lars(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float momentum = 0.9f, float weightDecay = 0f,
                float trustCoefficient = 0.001f, bool nesterov = false, Func<string, Tensor, bool>? exclude = null)
        : base(parameters)
    {
        if (momentum < 0f || weightDecay < 0f || trustCoefficient <= 0f)
            throw new ArgumentException($"Lars: momentum ({momentum}) and weight decay ({weightDecay}) must be ≥ 0, trust coefficient ({trustCoefficient}) > 0.");
        Momentum = momentum;
        WeightDecay = weightDecay;
        TrustCoefficient = trustCoefficient;
        Nesterov = nesterov;
        exclude ??= ParameterFilters.IsBatchNormOrBias;
        excluded = parameters.Select(p => exclude(p.Name, p.Tensor)).ToArray();
        using var _ = TensorScope.Suspend();
        velocities = parameters.Select(p => Sgd.Named(Tensor.Zeros(p.Tensor.Backend, p.Tensor.Shape), "momentum." + p.Name)).ToArray();
    }

    public float Momentum { get; }
    public float WeightDecay { get; }
    public float TrustCoefficient { get; }
    public bool Nesterov { get; }

    /// <summary>True for the parameter at <paramref name="index"/> when it is excluded from decay and adaptation.</summary>
    public bool IsExcluded(int index) => excluded[index];

    protected override void Update(int i, float lr)
    {
        var p = Parameters[i].Tensor;
        bool adapt = !excluded[i];
        p.Backend.LarsUpdate(p, p.Grad!, velocities[i], lr, Momentum, adapt ? WeightDecay : 0f, TrustCoefficient, adapt, Nesterov);
    }

    /// <summary>All unfrozen parameters in one <see cref="IBackend.LarsMultiUpdate"/> (two launches on a device).</summary>
    protected override bool UpdateMany(IReadOnlyList<int> indices, float lr)
    {
        if (indices.Count == 0) return true;
        var set = MultiSet(indices, i => velocities[i], null, i => !excluded[i]);
        if (set is null) return false;
        set.Parameters[0].Backend.LarsMultiUpdate(set, lr, Momentum, WeightDecay, TrustCoefficient, Nesterov);
        return true;
    }

    public override IEnumerable<(string Name, Tensor Tensor)> State() => velocities.Select(v => (v.Name!, v));
}
