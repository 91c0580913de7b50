using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Batch normalisation, alone or fused with a residual add and ReLU (kernels-cu/batchnorm.cu).</summary>
public partial interface IBackend
{
    /// <summary>
    /// Training-mode batch norm over x viewed as [n, c, hw] (hw = 1 for BatchNorm1d):
    /// per channel μ, σ² (biased) over n·hw values; y ← γ(x−μ)/√(σ²+ε) + β;
    /// saveMean ← μ, saveInvStd ← 1/√(σ²+ε); running stats ← (1−momentum)·running + momentum·stat
    /// with the unbiased variance, as PyTorch does. When <paramref name="relu"/> is true, y ← max(y, 0) (fused BN+ReLU).
    /// </summary>
    void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
                                  Tensor saveMean, Tensor saveInvStd,
                                  Tensor runningMean, Tensor runningVar,
                                  int n, int c, int hw, float momentum, float eps, bool relu);

    /// <summary>Eval-mode batch norm with the running statistics.</summary>
    void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor y,
                                   Tensor runningMean, Tensor runningVar,
                                   int n, int c, int hw, float eps, bool relu);

    /// <summary>
    /// Gradients of training-mode batch norm (dgamma, dbeta overwritten). When
    /// <paramref name="y"/> is given, it is the fused BN+ReLU output and dy is first masked by y &gt; 0.
    /// </summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary>
    /// Training-mode batch norm fused with a residual add and ReLU (ResNet's last BN of a block):
    /// y ← relu(γ(x−μ)/√(σ²+ε) + β + residual), ReLU propagating NaN; μ, σ², saveMean, saveInvStd and
    /// the running statistics exactly as <see cref="BatchNormForwardTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, float, bool)"/>. residual has x's shape.
    /// </summary>
    void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y,
                                         Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar,
                                         int n, int c, int hw, float momentum, float eps);

    /// <summary>Eval-mode y ← relu(bn(x) + residual) with the running statistics.</summary>
    void BatchNormAddReluForwardInference(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y,
                                          Tensor runningMean, Tensor runningVar, int n, int c, int hw, float eps);

    /// <summary>
    /// Gradients of <see cref="BatchNormAddReluForwardTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, float)"/> given its output y (all outputs
    /// overwritten): g = dy·[y &gt; 0]; dresidual ← g; dx, dgamma, dbeta ← batch norm's backward of g.
    /// </summary>
    void BatchNormAddReluBackward(Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    // x stored as bf16 (a bf16 convolution's output, Ops.Conv2dBatchNorm): each the fp32 primitive
    // above applied to x widened to fp32 (exact); every output, statistic and gradient stays fp32.

    /// <summary><see cref="BatchNormForwardTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, float, bool)"/> with x stored as bf16.</summary>
    void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y,
                                  Tensor saveMean, Tensor saveInvStd,
                                  Tensor runningMean, Tensor runningVar,
                                  int n, int c, int hw, float momentum, float eps, bool relu);

    /// <summary><see cref="BatchNormBackward(Tensor, Tensor, Tensor?, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int)"/> with x stored as bf16.</summary>
    void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary><see cref="BatchNormAddReluForwardTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, float)"/> with x stored as bf16.</summary>
    void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y,
                                         Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar,
                                         int n, int c, int hw, float momentum, float eps);

    /// <summary><see cref="BatchNormAddReluBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int)"/> with x stored as bf16.</summary>
    void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary><see cref="BatchNormForwardInference(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, bool)"/> with x stored as bf16.</summary>
    void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y,
                                   Tensor runningMean, Tensor runningVar,
                                   int n, int c, int hw, float eps, bool relu);

    /// <summary><see cref="BatchNormAddReluForwardInference(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float)"/> with x stored as bf16.</summary>
    void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y,
                                          Tensor runningMean, Tensor runningVar, int n, int c, int hw, float eps);

    // x and y stored as bf16 (a BN+ReLU output that only the next convolution reads): y is the bf16
    // rounding (nearest even) of what the fp32 primitive writes for x widened; the backward reads that
    // stored y as its ReLU mask (y > 0). Statistics and gradients stay fp32.

    /// <summary><see cref="BatchNormForwardTraining(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, float, bool)"/> with x and y stored as bf16.</summary>
    void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y,
                                  Tensor saveMean, Tensor saveInvStd,
                                  Tensor runningMean, Tensor runningVar,
                                  int n, int c, int hw, float momentum, float eps, bool relu);

    /// <summary>The backward of the fused BN+ReLU above: x and y (the mask) stored as bf16.</summary>
    void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary><see cref="BatchNormForwardInference(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, int, int, int, float, bool)"/> with x and y stored as bf16.</summary>
    void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y,
                                   Tensor runningMean, Tensor runningVar,
                                   int n, int c, int hw, float eps, bool relu);

    // dx stored as bf16 too (the gradient handed to a bf16 convolution, which rounds it anyway): the
    // bf16 rounding of what the fp32-dx primitive writes; dgamma, dbeta and dresidual stay fp32.

    /// <summary>The backward of batch norm with x stored as bf16, y (the mask, when given) fp32, dx stored as bf16.</summary>
    void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary>The backward of the fused BN+ReLU with x, y (the mask) and dx stored as bf16.</summary>
    void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary>The backward of BN + residual + ReLU with x and dx stored as bf16.</summary>
    void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    // BN + residual + ReLU with its output y stored as bf16 too (a block's output that only
    // convolutions read: the next block has a projection shortcut). residual fp32.

    /// <summary>Training-mode relu(bn(x) + residual) with x and y stored as bf16.</summary>
    void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y,
                                         Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar,
                                         int n, int c, int hw, float momentum, float eps);

    /// <summary>Eval-mode relu(bn(x) + residual) with x and y stored as bf16.</summary>
    void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y,
                                          Tensor runningMean, Tensor runningVar, int n, int c, int hw, float eps);

    /// <summary>Its backward with x and y (the mask) stored as bf16; dx and dresidual fp32.</summary>
    void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw);

    /// <summary>Its backward with x, y (the mask) and dx stored as bf16; dresidual fp32.</summary>
    void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw);
}
