using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = a + b (same shapes). ∂y/∂a = ∂y/∂b = I, so both inputs receive dy.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        ShapeUtil.RequireSame("Add", a, b);
        var y = a.EmptyLike();
        a.Backend.Add(a, b, y);
        if (Tape.NeedsGrad(a, b))
            Tape.Record("Add", y, dy =>
            {
                Tape.Accumulate(a, dy);
                Tape.Accumulate(b, dy);
            });
        return y;
    }
}
