using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The straight-through estimator y = x + stop_gradient(value − x): the forward value is
    /// <paramref name="value"/> exactly (a copy, not x + (value − x) with its rounding), the backward
    /// passes ∂L/∂y to <paramref name="x"/> unchanged; <paramref name="value"/> gets no gradient.
    /// NNCLR's nearest neighbour from the support set (Dwibedi et al. 2021) is used this way.
    /// </summary>
    public static Tensor StraightThrough(Tensor x, Tensor value)
    {
        ShapeUtil.RequireSame("StraightThrough", x, value);
        var y = x.EmptyLike();
        x.Backend.Copy(value, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("StraightThrough", y, dy => Tape.Accumulate(x, dy));
        return y;
    }
}
