using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Batch norm of a convolution, z = Conv2d(x, weight, bias, stride, padding): BatchNorm(z) (then
    /// max(·, 0) when <paramref name="relu"/>), or relu(BatchNorm(z) + residual) when
    /// <paramref name="residual"/> is given (BatchNormAddRelu; <paramref name="relu"/> must then be false).
    /// At <see cref="Precision.Bf16"/> z is stored in bf16 (a <see cref="Bf16Tensor"/>, as PyTorch's
    /// autocast keeps a bf16 convolution's output) in training, and in eval mode when no gradient is
    /// wanted (feature extraction, the kNN monitor): the convolution's epilogue rounds it and writes half
    /// the bytes, batch norm reads it widened, and in training it is the tensor saved for backward, half
    /// the size. Backward: batch norm's backward reads the same bf16 z (the rounding passes the gradient
    /// straight through, as autocast's cast does), then the convolution's backward takes ∂L/∂z in fp32.
    /// Everywhere else (fp32, tf32, an eval-mode pass that needs gradients) it is exactly Ops.Conv2d
    /// followed by Ops.BatchNorm or Ops.BatchNormAddRelu.
    /// </summary>
    public static Tensor Conv2dBatchNorm(Tensor x, Tensor weight, Tensor? bias, int stride, int padding,
                                         Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
                                         float momentum = 0.1f, float eps = 1e-5f, bool relu = false, Tensor? residual = null)
    {
        if (residual is not null && relu)
            throw new ArgumentException("Conv2dBatchNorm: with a residual the ReLU follows the add (BatchNormAddRelu); relu must be false.");
        bool storeBf16 = x.Backend.Precision == Precision.Bf16 && (training || !Tape.NeedsGrad(x, weight, bias, gamma, beta, residual));
        if (!storeBf16)
        {
            var conv = Conv2d(x, weight, bias, stride, padding);
            return residual is null
                ? BatchNorm(conv, gamma, beta, runningMean, runningVar, training, momentum, eps, relu)
                : BatchNormAddRelu(conv, residual, gamma, beta, runningMean, runningVar, training, momentum, eps);
        }

        var g = Conv2dGeometryOf(x, weight, bias, stride, padding);
        int[] shape = [g.N, g.K, g.P, g.Q];
        var (n, c, hw) = BatchNormLayoutOf("Conv2dBatchNorm", shape, gamma, beta, runningMean, runningVar, training);
        if (residual is not null) RequireResidualShape("Conv2dBatchNorm", shape, residual);
        var be = x.Backend;
        var z = Bf16Tensor.Empty(be, shape);
        be.Conv2dForward(x, weight, bias, z, g);
        var y = Tensor.Empty(be, shape);
        if (!training)
        {
            if (residual is null) be.BatchNormForwardInference(z, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu);
            else be.BatchNormAddReluForwardInference(z, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps);
            return y;
        }
        var saveMean = Tensor.Empty(be, c);
        var saveInvStd = Tensor.Empty(be, c);
        if (residual is null)
            be.BatchNormForwardTraining(z, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
        else
            be.BatchNormAddReluForwardTraining(z, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
        if (Tape.NeedsGrad(x, weight, bias, gamma, beta, residual))
            Tape.Record("Conv2dBatchNorm", y, dy =>
            {
                var dz = y.EmptyLike();
                var dgamma = gamma.EmptyLike();
                var dbeta = beta.EmptyLike();
                if (residual is null)
                    be.BatchNormBackward(z, dy, relu ? y : null, gamma, saveMean, saveInvStd, dz, dgamma, dbeta, n, c, hw);
                else
                {
                    var dresidual = y.EmptyLike();
                    be.BatchNormAddReluBackward(z, dy, y, gamma, saveMean, saveInvStd, dz, dresidual, dgamma, dbeta, n, c, hw);
                    Tape.AccumulateOwned(residual, dresidual);
                }
                Tape.AccumulateOwned(gamma, dgamma);
                Tape.AccumulateOwned(beta, dbeta);
                Conv2dBackward(x, weight, bias, dz, g);
            });
        return y;
    }
}
