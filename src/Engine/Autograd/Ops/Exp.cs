using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = exp(x). ∂L/∂x = dy ⊙ y (the output is its own derivative, so x is not kept).</summary>
    public static Tensor Exp(Tensor x)
    {
        var y = x.EmptyLike();
        x.Backend.Exp(x, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("Exp", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.Mul(dy, y, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
