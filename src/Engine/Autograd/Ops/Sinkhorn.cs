using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// SwAV's codes (Caron et al. 2020): a new [B, K] tensor, the Sinkhorn-Knopp equipartitioned soft
    /// assignment of the B samples of <paramref name="scores"/> [B, K] to the K prototypes after
    /// <paramref name="iterations"/> iterations at temperature ε = <paramref name="epsilon"/> (SwAV: 0.05, 3);
    /// each row sums to 1 (<see cref="IBackend.SinkhornCodes"/> gives the algorithm).
    /// The codes are targets of the swapped prediction, computed under torch.no_grad() in SwAV: the
    /// scores are treated as detached — nothing is recorded on the tape, the result never requires a
    /// gradient, and no gradient flows into <paramref name="scores"/> through it.
    /// </summary>
    public static Tensor SinkhornCodes(Tensor scores, float epsilon, int iterations)
    {
        RequireMatrix("SinkhornCodes", scores);
        int rows = scores.Shape[0], cols = scores.Shape[1];
        SinkhornArguments.Validate(rows, cols, epsilon, iterations);
        var codes = Tensor.Empty(scores.Backend, rows, cols);
        scores.Backend.SinkhornCodes(scores, codes, rows, cols, epsilon, iterations);
        return codes;
    }
}
