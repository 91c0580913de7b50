using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = a − b (same shapes). ∂L/∂a = dy, ∂L/∂b = −dy.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        ShapeUtil.RequireSame("Sub", a, b);
        var y = a.EmptyLike();
        a.Backend.Copy(a, y);
        a.Backend.Axpby(-1f, b, 1f, y);
        if (Tape.NeedsGrad(a, b))
            Tape.Record("Sub", y, dy =>
            {
                Tape.Accumulate(a, dy);
                if (b.RequiresGrad)
                {
                    var db = b.EmptyLike();
                    b.Backend.Affine(dy, -1f, 0f, db);
                    Tape.AccumulateOwned(b, db);
                }
            });
        return y;
    }
}
