using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation of x [N,C,H,W] (BatchNorm2d) or [N,C] (BatchNorm1d) per channel:
    /// y = γ·(x − μ)/√(σ² + ε) + β, then max(y, 0) when <paramref name="relu"/> (fused BN+ReLU).
    /// training: μ, σ² (biased) from the batch; running stats updated in place as a no-grad side
    /// effect (running ← (1−momentum)·running + momentum·stat, unbiased variance, as PyTorch).
    /// eval: μ, σ² are the running stats, so y is a fixed per-channel affine map of x and its
    /// backward is dx = γ·g/√(σ²+ε), dγ = Σ g·x̂, dβ = Σ g with g the (ReLU-masked) dy.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training, float momentum = 0.1f, float eps = 1e-5f, bool relu = false)
    {
        var (n, c, hw) = BatchNormLayoutOf("BatchNorm", x.Shape, gamma, beta, runningMean, runningVar, training);
        var be = x.Backend;
        var y = x.EmptyLike();
        if (!training)
        {
            be.BatchNormForwardInference(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu);
            if (Tape.NeedsGrad(x, gamma, beta))
                Tape.Record("BatchNorm(eval)", y, dy => BatchNormEvalBackward(x, y, dy, gamma, beta, runningMean, runningVar, n, c, hw, eps, relu));
            return y;
        }

        var saveMean = Tensor.Empty(be, c);
        var saveInvStd = Tensor.Empty(be, c);
        be.BatchNormForwardTraining(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
        if (Tape.NeedsGrad(x, gamma, beta))
            Tape.Record("BatchNorm", y, dy =>
            {
                var dx = x.EmptyLike();
                var dgamma = Tape.NewContribution(gamma);
                var dbeta = Tape.NewContribution(beta);
                be.BatchNormBackward(x, dy, relu ? y : null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
                Tape.AccumulateOwned(x, dx);
                Tape.AccumulateOwned(gamma, dgamma);
                Tape.AccumulateOwned(beta, dbeta);
            });
        return y;
    }

    /// <summary>
    /// relu(BatchNorm(x) + residual) in one fused primitive per pass (ResNet's BasicBlock bn2 and
    /// Bottleneck bn3): the same value and gradients as Ops.Relu(Ops.Add(Ops.BatchNorm(x, …), residual))
    /// with two fewer passes over memory each way. residual has x's shape; the ReLU propagates NaN.
    /// Backward: g = dy·[y &gt; 0] (the mask once), ∂residual = g, x, γ, β as batch norm's backward of g.
    /// </summary>
    public static Tensor BatchNormAddRelu(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        var (n, c, hw) = BatchNormLayoutOf("BatchNormAddRelu", x.Shape, gamma, beta, runningMean, runningVar, training);
        RequireResidualShape("BatchNormAddRelu", x.Shape, residual);
        var be = x.Backend;
        var y = x.EmptyLike();
        if (!training)
        {
            be.BatchNormAddReluForwardInference(x, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps);
            if (Tape.NeedsGrad(x, residual, gamma, beta))
                Tape.Record("BatchNormAddRelu(eval)", y, dy =>
                {
                    var g = x.EmptyLike();
                    be.ReluBackward(y, dy, g);
                    BatchNormEvalBackward(x, y, g, gamma, beta, runningMean, runningVar, n, c, hw, eps, relu: false);
                    Tape.AccumulateOwned(residual, g);
                });
            return y;
        }

        var saveMean = Tensor.Empty(be, c);
        var saveInvStd = Tensor.Empty(be, c);
        be.BatchNormAddReluForwardTraining(x, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
        if (Tape.NeedsGrad(x, residual, gamma, beta))
            Tape.Record("BatchNormAddRelu", y, dy =>
            {
                var dx = x.EmptyLike();
                var dres = x.EmptyLike();
                var dgamma = Tape.NewContribution(gamma);
                var dbeta = Tape.NewContribution(beta);
                be.BatchNormAddReluBackward(x, dy, y, gamma, saveMean, saveInvStd, dx, dres, dgamma, dbeta, n, c, hw);
                Tape.AccumulateOwned(x, dx);
                Tape.AccumulateOwned(residual, dres);
                Tape.AccumulateOwned(gamma, dgamma);
                Tape.AccumulateOwned(beta, dbeta);
            });
        return y;
    }

    /// <summary>
    /// x of shape <paramref name="shape"/> as batch norm's [n, c, hw] after checking the rank, the
    /// per-channel tensors and (training) that each channel has more than one value; <paramref name="op"/> names the op in the message.
    /// </summary>
    private static (int N, int C, int Hw) BatchNormLayoutOf(string op, int[] shape, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training)
    {
        if (shape.Length != 4 && shape.Length != 2)
            throw new ArgumentException($"{op}: x must be [N,C,H,W] or [N,C], got {ShapeUtil.Format(shape)}.");
        int n = shape[0], c = shape[1], hw = shape.Length == 4 ? shape[2] * shape[3] : 1;
        foreach (var (t, name) in new[] { (gamma, "gamma"), (beta, "beta"), (runningMean, "runningMean"), (runningVar, "runningVar") })
            if (t.Rank != 1 || t.Dim(0) != c)
                throw new ArgumentException($"{op}: {name} must be [{c}] for x {ShapeUtil.Format(shape)}, got {ShapeUtil.Format(t.Shape)}.");
        if (training && (long)n * hw < 2)
            throw new ArgumentException($"{op}: training needs more than one value per channel, x is {ShapeUtil.Format(shape)}.");
        return (n, c, hw);
    }

    private static void RequireResidualShape(string op, int[] shape, Tensor residual)
    {
        if (!shape.SequenceEqual(residual.Shape))
            throw new ArgumentException($"{op}: residual {ShapeUtil.Format(residual.Shape)} must have x's shape {ShapeUtil.Format(shape)}.");
    }

    /// <summary>Backward of the eval-mode (fixed affine) batch norm, composed from backend primitives.</summary>
    private static void BatchNormEvalBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                              int n, int c, int hw, float eps, bool relu)
    {
        var be = x.Backend;
        var g = dy;
        if (relu)
        {
            g = x.EmptyLike();
            be.ReluBackward(y, dy, g);
        }
        var zeros = Tensor.Zeros(be, c);
        if (x.RequiresGrad)
        {
            // dx = γ·g/√(σ²+ε): the inference map itself with β = 0 and μ = 0.
            var dx = x.EmptyLike();
            be.BatchNormForwardInference(g, gamma, zeros, dx, zeros, runningVar, n, c, hw, eps, relu: false);
            Tape.AccumulateOwned(x, dx);
        }
        if (gamma.RequiresGrad)
        {
            // x̂ = (x − μ)/√(σ²+ε): the inference map with γ = 1, β = 0.
            var xhat = x.EmptyLike();
            be.BatchNormForwardInference(x, Tensor.Full(be, 1f, c), zeros, xhat, runningMean, runningVar, n, c, hw, eps, relu: false);
            be.Mul(xhat, g, xhat);
            Tape.AccumulateOwned(gamma, SumPerChannel(xhat, n, c, hw));
        }
        if (beta.RequiresGrad) Tape.AccumulateOwned(beta, SumPerChannel(g, n, c, hw));
    }

    /// <summary>s[ch] = Σ_{i, j} t[i, ch, j] for t viewed as [n, c, hw]: column sums over n, then row sums over hw.</summary>
    private static Tensor SumPerChannel(Tensor t, int n, int c, int hw)
    {
        var be = t.Backend;
        var perPixel = Tensor.Empty(be, c * hw);
        be.SumColumns(t, n, c * hw, perPixel);
        var s = Tensor.Empty(be, c);
        be.SumRows(perPixel, c, hw, s);
        return s;
    }
}
