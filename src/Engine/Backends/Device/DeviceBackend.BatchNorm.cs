using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Batch normalisation, alone or fused with a residual add and ReLU, x in fp32 or bf16: kernels-cu/batchnorm.cu.</summary>
public sealed partial class DeviceBackend
{
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu) =>
        batchNorm.BatchNormForwardTraining(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps, relu);

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu) =>
        batchNorm.BatchNormForwardInference(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar), n, c, hw, eps, relu);

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormBackward(Buf(x), Buf(dy), y is null ? null : Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps) =>
        batchNorm.BatchNormAddReluForwardTraining(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps);

    public void BatchNormAddReluForwardInference(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps) =>
        batchNorm.BatchNormAddReluForwardInference(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar), n, c, hw, eps);

    public void BatchNormAddReluBackward(Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormAddReluBackward(Buf(x), Buf(dy), Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dresidual), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu) =>
        batchNorm.BatchNormForwardTrainingBf16Input(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps, relu);

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormBackwardBf16Input(Buf(x), Buf(dy), y is null ? null : Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps) =>
        batchNorm.BatchNormAddReluForwardTrainingBf16Input(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps);

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormAddReluBackwardBf16Input(Buf(x), Buf(dy), Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dresidual), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu) =>
        batchNorm.BatchNormForwardInferenceBf16Input(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar), n, c, hw, eps, relu);

    public void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps) =>
        batchNorm.BatchNormAddReluForwardInferenceBf16Input(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar), n, c, hw, eps);

    public void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu) =>
        batchNorm.BatchNormForwardTrainingBf16InputOutput(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps, relu);

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormBackwardBf16InputOutput(Buf(x), Buf(dy), Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormBackwardBf16Gradient(Buf(x), Buf(dy), y is null ? null : Buf(y), false, Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormBackwardBf16Gradient(Buf(x), Buf(dy), Buf(y), true, Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormAddReluBackwardBf16Gradient(Buf(x), Buf(dy), Buf(y), false, Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dresidual), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps) =>
        batchNorm.BatchNormAddReluForwardTrainingBf16InputOutput(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(saveMean), Buf(saveInvStd),
            Buf(runningMean), Buf(runningVar), n, c, hw, momentum, eps);

    public void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps) =>
        batchNorm.BatchNormAddReluForwardInferenceBf16InputOutput(Buf(x), Buf(residual), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar),
            n, c, hw, eps);

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormAddReluBackwardBf16InputOutput(Buf(x), Buf(dy), Buf(y), Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dresidual), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw) =>
        batchNorm.BatchNormAddReluBackwardBf16Gradient(Buf(x), Buf(dy), Buf(y), true, Buf(gamma), Buf(saveMean), Buf(saveInvStd),
            Buf(dx), Buf(dresidual), Buf(dgamma), Buf(dbeta), n, c, hw);

    public void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu) =>
        batchNorm.BatchNormForwardInferenceBf16InputOutput(Buf(x), Buf(gamma), Buf(beta), Buf(y), Buf(runningMean), Buf(runningVar), n, c, hw, eps, relu);
}
