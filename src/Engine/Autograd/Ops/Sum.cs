using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>Scalar y = Σ x (shape [1]). ∂L/∂x = dy broadcast to x's shape.</summary>
    public static Tensor Sum(Tensor x) => SumScaled(x, 1f, "Sum");

    /// <summary>Scalar y = (1/n) Σ x over all n elements.</summary>
    public static Tensor Mean(Tensor x) => SumScaled(x, x.Length == 0 ? 0f : 1f / x.Length, "Mean");

    private static Tensor SumScaled(Tensor x, float scale, string name)
    {
        var y = Tensor.Empty(x.Backend, 1);
        x.Backend.Sum(x, y);
        if (scale != 1f) x.Backend.Affine(y, scale, 0f, y);
        if (Tape.NeedsGrad(x))
            Tape.Record(name, y, dy =>
            {
                var dx = x.EmptyLike();
                // dx[i] = scale · dy[0]: broadcast the one-element gradient as a column over one row.
                x.Backend.BroadcastColumn(dy, scale, 1, checked((int)x.Length), dx);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
