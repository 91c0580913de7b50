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
    /// straight through, as autocast's cast does) and stores ∂L/∂z in bf16 too, which the convolution's
    /// backward rounds to anyway (unless the convolution's bias wants a gradient, summed from ∂L/∂z in fp32).
    /// Everywhere else (fp32, tf32, an eval-mode pass that needs gradients) it is exactly Ops.Conv2d
    /// followed by Ops.BatchNorm or Ops.BatchNormAddRelu. x may be stored in bf16 (<see cref="ConvInput"/>).
    /// </summary>
    public static Tensor Conv2dBatchNorm(ConvInput x, Tensor weight, Tensor? bias, int stride, int padding,
                                         Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
                                         float momentum = 0.1f, float eps = 1e-5f, bool relu = false, Tensor? residual = null) =>
        Conv2dBatchNormCore(x, weight, bias, stride, padding, gamma, beta, runningMean, runningVar, training, momentum, eps, relu, residual,
            outputBf16: false).Fp32!;

    /// <summary>
    /// <see cref="Conv2dBatchNorm"/> for an output that only convolutions read: where the convolution's
    /// output is stored in bf16 (see there), batch norm's output is too — rounded (nearest even) as it
    /// is stored, the value the next bf16 convolution would round it to anyway — and its backward reads
    /// that stored output as the ReLU mask (y &gt; 0). The gradient stays fp32 (the rounding passes it
    /// straight through). Elsewhere the output is the fp32 one of Conv2dBatchNorm.
    /// </summary>
    public static ConvInput Conv2dBatchNormForConv(ConvInput x, Tensor weight, Tensor? bias, int stride, int padding,
                                                   Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
                                                   float momentum = 0.1f, float eps = 1e-5f, bool relu = false, Tensor? residual = null) =>
        Conv2dBatchNormCore(x, weight, bias, stride, padding, gamma, beta, runningMean, runningVar, training, momentum, eps, relu, residual,
            outputBf16: true);

    private static ConvInput Conv2dBatchNormCore(ConvInput x, Tensor weight, Tensor? bias, int stride, int padding,
                                                 Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
                                                 float momentum, float eps, bool relu, Tensor? residual, bool outputBf16)
    {
        if (residual is not null && relu)
            throw new ArgumentException("Conv2dBatchNorm: with a residual the ReLU follows the add (BatchNormAddRelu); relu must be false.");
        var be = x.Backend;
        bool needsGrad = Conv2dNeedsGrad(x, weight, bias, gamma, beta, residual);
        bool storeBf16 = be.Precision == Precision.Bf16 && (training || !needsGrad);
        if (!storeBf16)
        {
            var conv = Conv2d(x, weight, bias, stride, padding);
            return residual is null
                ? BatchNorm(conv, gamma, beta, runningMean, runningVar, training, momentum, eps, relu)
                : BatchNormAddRelu(conv, residual, gamma, beta, runningMean, runningVar, training, momentum, eps);
        }

        var g = Conv2dGeometryOf(x.Shape, weight, bias, stride, padding);
        int[] shape = [g.N, g.K, g.P, g.Q];
        var (n, c, hw) = BatchNormLayoutOf("Conv2dBatchNorm", shape, gamma, beta, runningMean, runningVar, training);
        if (residual is not null) RequireResidualShape("Conv2dBatchNorm", shape, residual);
        var z = Bf16Tensor.Empty(be, shape);
        Conv2dForward(x, weight, bias, z, g);
        // y is stored either way: y32 (fp32) or y16 (bf16, for the next convolution only).
        var y16 = outputBf16 ? Bf16Tensor.Empty(be, shape) : null;
        var y32 = outputBf16 ? null : Tensor.Empty(be, shape);
        var output = y16 is not null ? ConvInput.FromBf16(y16) : y32!;
        // One primitive per (residual or not) × (y stored fp32 or bf16).
        if (!training)
        {
            switch ((residual is not null, y16 is not null))
            {
                case (true, true): be.BatchNormAddReluForwardInference(z, residual!, gamma, beta, y16!, runningMean, runningVar, n, c, hw, eps); break;
                case (true, false): be.BatchNormAddReluForwardInference(z, residual!, gamma, beta, y32!, runningMean, runningVar, n, c, hw, eps); break;
                case (false, true): be.BatchNormForwardInference(z, gamma, beta, y16!, runningMean, runningVar, n, c, hw, eps, relu); break;
                default: be.BatchNormForwardInference(z, gamma, beta, y32!, runningMean, runningVar, n, c, hw, eps, relu); break;
            }
            return output;
        }
        var saveMean = Tensor.Empty(be, c);
        var saveInvStd = Tensor.Empty(be, c);
        switch ((residual is not null, y16 is not null))
        {
            case (true, true):
                be.BatchNormAddReluForwardTraining(z, residual!, gamma, beta, y16!, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
                break;
            case (true, false):
                be.BatchNormAddReluForwardTraining(z, residual!, gamma, beta, y32!, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
                break;
            case (false, true):
                be.BatchNormForwardTraining(z, gamma, beta, y16!, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
                break;
            default:
                be.BatchNormForwardTraining(z, gamma, beta, y32!, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
                break;
        }
        if (!needsGrad) return output;

        // ∂L/∂z is read only by the bf16 convolution's backward, which rounds it to bf16: store it so,
        // unless the bias gradient (Σ ∂L/∂z in fp32) is wanted.
        bool dzBf16 = bias is null || !bias.RequiresGrad;
        void Backward(Tensor dy)
        {
            var dz16 = dzBf16 ? Bf16Tensor.Empty(be, shape) : null;
            var dz32 = dzBf16 ? null : Tensor.Empty(be, shape);
            var dgamma = Tape.NewContribution(gamma);
            var dbeta = Tape.NewContribution(beta);
            var dres = residual is null ? null : Tensor.Empty(be, shape);
            // One primitive per (residual or not) × (the mask y: fp32, bf16 or none) × (dz: fp32 or bf16).
            switch ((residual is not null, y16 is not null && (relu || residual is not null), dz16 is not null))
            {
                case (true, true, true): be.BatchNormAddReluBackward(z, dy, y16!, gamma, saveMean, saveInvStd, dz16!, dres!, dgamma, dbeta, n, c, hw); break;
                case (true, true, false): be.BatchNormAddReluBackward(z, dy, y16!, gamma, saveMean, saveInvStd, dz32!, dres!, dgamma, dbeta, n, c, hw); break;
                case (true, false, true): be.BatchNormAddReluBackward(z, dy, y32!, gamma, saveMean, saveInvStd, dz16!, dres!, dgamma, dbeta, n, c, hw); break;
                case (true, false, false): be.BatchNormAddReluBackward(z, dy, y32!, gamma, saveMean, saveInvStd, dz32!, dres!, dgamma, dbeta, n, c, hw); break;
                case (false, true, true): be.BatchNormBackward(z, dy, y16!, gamma, saveMean, saveInvStd, dz16!, dgamma, dbeta, n, c, hw); break;
                case (false, true, false): be.BatchNormBackward(z, dy, y16!, gamma, saveMean, saveInvStd, dz32!, dgamma, dbeta, n, c, hw); break;
                case (false, false, true): be.BatchNormBackward(z, dy, relu ? y32 : null, gamma, saveMean, saveInvStd, dz16!, dgamma, dbeta, n, c, hw); break;
                default: be.BatchNormBackward(z, dy, relu ? y32 : null, gamma, saveMean, saveInvStd, dz32!, dgamma, dbeta, n, c, hw); break;
            }
            if (dres is not null) Tape.AccumulateOwned(residual!, dres);
            Tape.AccumulateOwned(gamma, dgamma);
            Tape.AccumulateOwned(beta, dbeta);
            Conv2dBackward(x, weight, bias, dz32, dz16, g);
        }
        if (y16 is not null) Tape.Record("Conv2dBatchNorm", y16, Backward);
        else Tape.Record("Conv2dBatchNorm", y32!, Backward);
        return output;
    }
}
