using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y[N,K,P,Q] = Σ_{c,r,s} weight[K,c,r,s]·x[N,c,p·stride−pad+r, q·stride−pad+s] (+ bias[K]),
    /// zero padding, P = (H + 2·pad − R)/stride + 1. Backward: dx by the transposed
    /// convolution (backend BackwardData), dW and dbias by BackwardWeight. x may be stored in bf16
    /// (<see cref="ConvInput"/>); y and every gradient are fp32.
    /// </summary>
    public static Tensor Conv2d(ConvInput x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0)
    {
        var g = Conv2dGeometryOf(x.Shape, weight, bias, stride, padding);
        var y = Tensor.Empty(x.Backend, g.N, g.K, g.P, g.Q);
        Conv2dForward(x, weight, bias, y, g);
        if (Conv2dNeedsGrad(x, weight, bias))
            Tape.Record("Conv2d", y, dy => Conv2dBackward(x, weight, bias, dy, null, g));
        return y;
    }

    /// <summary>True when the tape must record a convolution of x (and whatever else feeds the op).</summary>
    private static bool Conv2dNeedsGrad(ConvInput x, params ReadOnlySpan<Tensor?> others) =>
        Tape.IsRecording && (x.RequiresGrad || Tape.NeedsGrad(others));

    /// <summary>The backend's forward for x as stored, into an fp32 y.</summary>
    private static void Conv2dForward(ConvInput x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        if (x.Bf16 is { } x16) x16.Backend.Conv2dForward(x16, weight, bias, y, g);
        else x.Fp32!.Backend.Conv2dForward(x.Fp32, weight, bias, y, g);
    }

    /// <summary>The backend's forward for x as stored, into a bf16 y.</summary>
    private static void Conv2dForward(ConvInput x, Tensor weight, Tensor? bias, Bf16Tensor y, Conv2dGeometry g)
    {
        if (x.Bf16 is { } x16) x16.Backend.Conv2dForward(x16, weight, bias, y, g);
        else x.Fp32!.Backend.Conv2dForward(x.Fp32, weight, bias, y, g);
    }

    /// <summary>The geometry of conv(x, weight) after checking the shapes, stride and padding (throws naming what is wrong).</summary>
    private static Conv2dGeometry Conv2dGeometryOf(int[] x, Tensor weight, Tensor? bias, int stride, int padding)
    {
        if (x.Length != 4) throw new ArgumentException($"Conv2d: x must be [N,C,H,W], got {ShapeUtil.Format(x)}.");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: weight must be [K,C,R,S], got {ShapeUtil.Format(weight.Shape)}.");
        if (weight.Dim(1) != x[1])
            throw new ArgumentException($"Conv2d: weight {ShapeUtil.Format(weight.Shape)} expects {weight.Dim(1)} input channels, x {ShapeUtil.Format(x)} has {x[1]}.");
        if (stride < 1 || padding < 0) throw new ArgumentException($"Conv2d: stride {stride} must be ≥ 1 and padding {padding} ≥ 0.");
        var g = new Conv2dGeometry(x[0], x[1], x[2], x[3], weight.Dim(0), weight.Dim(2), weight.Dim(3),
                                   stride, stride, padding, padding);
        if (g.H + 2 * padding < g.R || g.W + 2 * padding < g.S)
            throw new ArgumentException($"Conv2d: kernel {g.R}x{g.S} is larger than the padded input {g.H + 2 * padding}x{g.W + 2 * padding}.");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != g.K))
            throw new ArgumentException($"Conv2d: bias must be [{g.K}], got {ShapeUtil.Format(bias.Shape)}.");
        return g;
    }

    /// <summary>
    /// The convolution's share of backward given ∂L/∂y, stored as fp32 (<paramref name="dy32"/>) or bf16
    /// (<paramref name="dy16"/>, from Conv2dBatchNorm at bf16, where no bias gradient is wanted): dx
    /// (BackwardData), dW and dbias (BackwardWeight), each only where wanted.
    /// </summary>
    private static void Conv2dBackward(ConvInput x, Tensor weight, Tensor? bias, Tensor? dy32, Bf16Tensor? dy16, Conv2dGeometry g)
    {
        var be = x.Backend;
        if (x.RequiresGrad)
        {
            var dx = Tensor.Empty(be, x.Shape);
            if (dy16 is not null) be.Conv2dBackwardData(dy16, weight, dx, g);
            else be.Conv2dBackwardData(dy32!, weight, dx, g);
            x.AccumulateOwnedGrad(dx);
        }
        bool needBias = bias is not null && bias.RequiresGrad;
        if (weight.RequiresGrad || needBias)
        {
            var dw = Tape.NewContribution(weight);
            var db = needBias ? Tape.NewContribution(bias!) : null;
            if (dy16 is not null)
            {
                if (db is not null) throw new InvalidOperationException("Conv2d backward: a bias gradient needs ∂L/∂y in fp32, not bf16.");
                if (x.Bf16 is { } x16) be.Conv2dBackwardWeight(x16, dy16, dw, g);
                else be.Conv2dBackwardWeight(x.Fp32!, dy16, dw, g);
            }
            else if (x.Bf16 is { } x16) be.Conv2dBackwardWeight(x16, dy32!, dw, db, g);
            else be.Conv2dBackwardWeight(x.Fp32!, dy32!, dw, db, g);
            Tape.AccumulateOwned(weight, dw);
            if (db is not null) Tape.AccumulateOwned(bias!, db);
        }
    }
}
