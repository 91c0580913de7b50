using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>[N, d1, d2, …] → [N, d1·d2·…] (a <see cref="Reshape"/>; a rank-1 [N] becomes [N, 1]).</summary>
    public static Tensor Flatten(Tensor x)
    {
        if (x.Rank == 0) throw new ArgumentException("Flatten: needs at least one dimension (the batch).");
        long rest = 1;
        for (int i = 1; i < x.Rank; i++) rest *= x.Shape[i];
        return Reshape(x, x.Shape[0], checked((int)rest));
    }
}
