using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The same values (shared storage) cut out of the graph: the result never requires a
    /// gradient, so nothing flows back into x through it (stop-gradient, e.g. targets).
    /// </summary>
    public static Tensor Detach(Tensor x) => x.View(x.Shape);
}
