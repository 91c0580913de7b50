using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Stochastic gradient descent as torch.optim.SGD (dampening 0): weight decay added to the
/// gradient, optional (Nesterov) momentum. State "momentum.&lt;param&gt;" (created at once,
/// zero, when momentum ≠ 0). See <see cref="IBackend.SgdUpdate"/> for the formula.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] buffers;

    public Sgd(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters)
    {
        if (momentum < 0f || weightDecay < 0f)
            throw new ArgumentException($"Sgd: momentum ({momentum}) and weight decay ({weightDecay}) must be ≥ 0.");
        if (nesterov && momentum == 0f) throw new ArgumentException("Sgd: Nesterov momentum needs momentum > 0.");
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        using var _ = TensorScope.Suspend();
        buffers = parameters.Select(p => momentum != 0f ? Named(Tensor.Zeros(p.Tensor.Backend, p.Tensor.Shape), "momentum." + p.Name) : null).ToArray();
    }

    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    internal static Tensor Named(Tensor t, string name)
    {
        t.Name = name;
        return t;
    }

    protected override void Update(int i, float lr)
    {
        var p = Parameters[i].Tensor;
        p.Backend.SgdUpdate(p, p.Grad!, buffers[i], lr, Momentum, WeightDecay, Nesterov);
    }

    /// <summary>All unfrozen parameters in one <see cref="IBackend.SgdMultiUpdate"/>.</summary>
    protected override bool UpdateMany(IReadOnlyList<int> indices, float lr)
    {
        if (indices.Count == 0) return true;
        var set = MultiSet(indices, i => buffers[i], null);
        if (set is null) return false;
        set.Parameters[0].Backend.SgdMultiUpdate(set, lr, Momentum, WeightDecay, Nesterov);
        return true;
    }

    public override IEnumerable<(string Name, Tensor Tensor)> State() =>
        buffers.Where(b => b is not null).Select(b => (b!.Name!, b!));
}
