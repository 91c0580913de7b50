using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = a ⊙ b (same shapes). ∂L/∂a = dy ⊙ b, ∂L/∂b = dy ⊙ a.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        ShapeUtil.RequireSame("Mul", a, b);
        var y = a.EmptyLike();
        a.Backend.Mul(a, b, y);
        if (Tape.NeedsGrad(a, b))
            Tape.Record("Mul", y, dy =>
            {
                if (a.RequiresGrad)
                {
                    var da = a.EmptyLike();
                    a.Backend.Mul(dy, b, da);
                    Tape.AccumulateOwned(a, da);
                }
                if (b.RequiresGrad)
                {
                    var db = b.EmptyLike();
                    b.Backend.Mul(dy, a, db);
                    Tape.AccumulateOwned(b, db);
                }
            });
        return y;
    }
}
