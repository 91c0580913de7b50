using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = scale·x + shift (temperature division, sign flips, constant offsets). ∂L/∂x = scale·dy.</summary>
    public static Tensor Scale(Tensor x, float scale, float shift = 0f)
    {
        var y = x.EmptyLike();
        x.Backend.Affine(x, scale, shift, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("Scale", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.Affine(dy, scale, 0f, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
