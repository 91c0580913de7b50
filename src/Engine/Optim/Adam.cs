using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Adam as torch.optim.Adam: bias-corrected first and second moments, weight decay as an L2
/// term added to the gradient. State "exp_avg.&lt;param&gt;" and "exp_avg_sq.&lt;param&gt;"
/// (created at once, zero); the bias correction uses the number of updates the parameter has had
/// (<see cref="Optimizer.StepCount"/> less the steps it sat out frozen, as PyTorch's per-parameter
/// step), which checkpoints save. Formula: <see cref="IBackend.AdamUpdate"/>.
/// </summary>
public class Adam : Optimizer
{
    private readonly Tensor[] expAvg, expAvgSq;
    private readonly bool decoupled;

    public Adam(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this(parameters, beta1, beta2, eps, weightDecay, decoupled: false) { }

    protected Adam(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float beta1, float beta2, float eps, float weightDecay, bool decoupled)
        : base(parameters)
    {
        if (beta1 is < 0f or >= 1f || beta2 is < 0f or >= 1f)
            throw new ArgumentException($"{GetType().Name}: betas ({beta1}, {beta2}) must lie in [0, 1).");
        if (eps <= 0f || weightDecay < 0f)
            throw new ArgumentException($"{GetType().Name}: eps ({eps}) must be > 0 and weight decay ({weightDecay}) ≥ 0.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        this.decoupled = decoupled;
        using var _ = TensorScope.Suspend();
        expAvg = parameters.Select(p => Sgd.Named(Tensor.Zeros(p.Tensor.Backend, p.Tensor.Shape), "exp_avg." + p.Name)).ToArray();
        expAvgSq = parameters.Select(p => Sgd.Named(Tensor.Zeros(p.Tensor.Backend, p.Tensor.Shape), "exp_avg_sq." + p.Name)).ToArray();
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public float WeightDecay { get; }

    protected override void Update(int i, float lr)
    {
        var p = Parameters[i].Tensor;
        p.Backend.AdamUpdate(p, p.Grad!, expAvg[i], expAvgSq[i], lr, Beta1, Beta2, Eps, WeightDecay, decoupled, UpdatesOf(i));
    }

    /// <summary>
    /// The unfrozen parameters in one <see cref="IBackend.AdamMultiUpdate"/> per distinct update count (one,
    /// unless some parameter sat out frozen steps earlier: then one per count, since t differs).
    /// </summary>
    protected override bool UpdateMany(IReadOnlyList<int> indices, float lr)
    {
        foreach (var group in indices.GroupBy(UpdatesOf))
        {
            var set = MultiSet(group.ToArray(), i => expAvg[i], i => expAvgSq[i]);
            if (set is null)
            {
                foreach (int i in group) Update(i, lr);
                continue;
            }
            set.Parameters[0].Backend.AdamMultiUpdate(set, lr, Beta1, Beta2, Eps, WeightDecay, decoupled, group.Key);
        }
        return true;
    }

    public override IEnumerable<(string Name, Tensor Tensor)> State() => expAvg.Concat(expAvgSq).Select(t => (t.Name!, t));
}

/// <summary>
/// AdamW as torch.optim.AdamW: Adam with decoupled weight decay, p ← p·(1 − lr·wd) before
/// the moment step (default wd = 0.01, as PyTorch). Same state names as <see cref="Adam"/>.
/// </summary>
public sealed class AdamW(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    : Adam(parameters, beta1, beta2, eps, weightDecay, decoupled: true);
