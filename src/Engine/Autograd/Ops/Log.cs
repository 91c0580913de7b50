using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y = ln x. ∂L/∂x = dy / x, computed as dy ⊙ exp(−y): the backends have no division
    /// primitive and exp(−ln x) = 1/x to a few ulps for every x &gt; 0 where ln is defined.
    /// </summary>
    public static Tensor Log(Tensor x)
    {
        var y = x.EmptyLike();
        x.Backend.Log(x, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("Log", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.Affine(y, -1f, 0f, dx);
                x.Backend.Exp(dx, dx);
                x.Backend.Mul(dy, dx, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
