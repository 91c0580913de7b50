using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y[B,out] = x[B,in]·Wᵀ + b, weight [out,in] and bias [out] in PyTorch's layout.
    /// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank != 2 || weight.Rank != 2)
            throw new ArgumentException($"Linear: x must be [batch,in] and weight [out,in], got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(weight.Shape)}.");
        int batch = x.Dim(0), inF = x.Dim(1), outF = weight.Dim(0);
        if (weight.Dim(1) != inF)
            throw new ArgumentException($"Linear: weight {ShapeUtil.Format(weight.Shape)} expects {weight.Dim(1)} input features, x {ShapeUtil.Format(x.Shape)} has {inF}.");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF))
            throw new ArgumentException($"Linear: bias must be [{outF}], got {ShapeUtil.Format(bias.Shape)}.");
        var be = x.Backend;
        var y = Tensor.Empty(be, batch, outF);
        if (bias is not null)
        {
            // y ← b broadcast, then y ← x·Wᵀ + y.
            be.BroadcastRow(bias, 1f, batch, outF, y);
            be.Gemm(false, true, batch, outF, inF, 1f, x, 0, weight, 0, 1f, y, 0);
        }
        else be.Gemm(false, true, batch, outF, inF, 1f, x, 0, weight, 0, 0f, y, 0);
        if (Tape.NeedsGrad(x, weight, bias))
            Tape.Record("Linear", y, dy =>
            {
                if (x.RequiresGrad)
                {
                    var dx = x.EmptyLike();
                    be.Gemm(false, false, batch, inF, outF, 1f, dy, 0, weight, 0, 0f, dx, 0);
                    Tape.AccumulateOwned(x, dx);
                }
                if (weight.RequiresGrad)
                {
                    var dw = Tape.NewContribution(weight);
                    be.Gemm(true, false, outF, inF, batch, 1f, dy, 0, x, 0, 0f, dw, 0);
                    Tape.AccumulateOwned(weight, dw);
                }
                if (bias is not null && bias.RequiresGrad)
                {
                    var db = Tape.NewContribution(bias);
                    be.SumColumns(dy, batch, outF, db);
                    Tape.AccumulateOwned(bias, db);
                }
            });
        return y;
    }
}
