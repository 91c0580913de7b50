using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>Predicates that pick parameter groups (e.g. what LARS leaves unadapted and undecayed).</summary>
public static class ParameterFilters
{
    /// <summary>
    /// True for batch-norm weights/biases and all biases: SimCLR's rule, expressed by rank —
    /// every rank-1 parameter in our layers is a BN γ/β or a bias; weights of convs and
    /// linears have rank ≥ 2. The name is accepted for logging and future rules.
    /// </summary>
    public static bool IsBatchNormOrBias(string name, Tensor tensor) => tensor.Rank == 1;
}
