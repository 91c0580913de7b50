using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y[B,out] = x[B,in]·Wᵀ + b, weight [out,in] and bias [out] in PyTorch's layout.
    /// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
    /// At <see cref="Kernels.Families.Precision.Bf16"/> (the backend's <see cref="IBackend.Precision"/>)
    /// x and W are multiplied as bf16-rounded operands with fp32 accumulation, forward and backward,
    /// as autocast multiplies them: the layer is then the 1×1 convolution of a 1×1 image (x = [B,in,1,1],
    /// W = [out,in,1,1], y = [B,out,1,1], the same memory), run by the backend's precision-aware
    /// convolution (tensor cores on cuda and emu, rounded operands on the cpu). At fp32 and tf32 it is
    /// a GEMM in fp32: tf32 rounds convolutions only, as PyTorch's defaults leave matmuls in fp32.
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
        if (be.Precision == Kernels.Families.Precision.Bf16)
            return Convolve("Linear", x, weight, bias, new Conv2dGeometry(batch, inF, 1, 1, outF, 1, 1, 1, 1, 0, 0), Tensor.Empty(be, batch, outF));
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
                    var dw = weight.EmptyLike();
                    be.Gemm(true, false, outF, inF, batch, 1f, dy, 0, x, 0, 0f, dw, 0);
                    Tape.AccumulateOwned(weight, dw);
                }
                if (bias is not null && bias.RequiresGrad)
                {
                    var db = bias.EmptyLike();
                    be.SumColumns(dy, batch, outF, db);
                    Tape.AccumulateOwned(bias, db);
                }
            });
        return y;
    }
}
