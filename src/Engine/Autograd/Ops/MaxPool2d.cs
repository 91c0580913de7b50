using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Max over kernel×kernel windows of x[N,C,H,W] (stride, zero-cost padding that never wins).
    /// Backward routes dy to the remembered arg-max pixel of each window (sub-gradient at ties:
    /// the first maximum in row-major window order).
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        if (x.Rank != 4) throw new ArgumentException($"MaxPool2d: needs [N,C,H,W], got {ShapeUtil.Format(x.Shape)}.");
        if (kernel < 1 || stride < 1 || padding < 0)
            throw new ArgumentException($"MaxPool2d: kernel {kernel} and stride {stride} must be ≥ 1, padding {padding} ≥ 0.");
        if (2 * padding > kernel)
            throw new ArgumentException($"MaxPool2d: padding {padding} must be at most half the kernel {kernel} (a window could see only padding).");
        var g = new Pool2dGeometry(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), kernel, stride, padding);
        if (x.Dim(2) + 2 * padding < kernel || x.Dim(3) + 2 * padding < kernel)
            throw new ArgumentException($"MaxPool2d: kernel {kernel} is larger than the padded input {ShapeUtil.Format(x.Shape)} (padding {padding}).");
        var be = x.Backend;
        var y = Tensor.Empty(be, g.N, g.C, g.P, g.Q);
        var argmax = IntTensor.Empty(be, g.N, g.C, g.P, g.Q);
        be.MaxPool2dForward(x, y, argmax, g);
        if (Tape.NeedsGrad(x))
            Tape.Record("MaxPool2d", y, dy =>
            {
                var dx = x.EmptyLike();
                be.MaxPool2dBackward(dy, argmax, dx, g);
                Tape.AccumulateOwned(x, dx);
            });
        return y;
    }
}
