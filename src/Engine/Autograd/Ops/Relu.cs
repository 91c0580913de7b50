using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>y = max(x, 0). ∂L/∂x = dy where y &gt; 0, else 0 (the subgradient 0 at x = 0).</summary>
    public static Tensor Relu(Tensor x)
    {
        var y = x.EmptyLike();
        x.Backend.Relu(x, y);
        if (Tape.NeedsGrad(x))
            Tape.Record("Relu", y, dy =>
            {
                var dx = x.EmptyLike();
                x.Backend.ReluBackward(y, dy, dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
