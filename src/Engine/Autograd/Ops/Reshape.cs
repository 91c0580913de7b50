using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Same elements, new shape (one dimension may be −1); the result shares x's storage
    /// (<see cref="Tensor.View"/>), so no data moves. ∂L/∂x = dy viewed in x's shape.
    /// </summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var y = x.View(shape);
        if (Tape.NeedsGrad(x))
            // Accumulate (not AccumulateOwned): the view aliases dy, so the first gradient must be a copy.
            Tape.Record("Reshape", y, dy => Tape.Accumulate(x, dy.View(x.Shape)));
        return y;
    }
}
