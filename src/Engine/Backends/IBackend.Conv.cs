using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// Geometry of a 2-D convolution: input [N,C,H,W], weight [K,C,R,S], output [N,K,P,Q]
/// with P = (H + 2·padH − R)/strideH + 1 and likewise Q. Square kernels are the common case
/// but nothing assumes it.
/// </summary>
public readonly record struct Conv2dGeometry(int N, int C, int H, int W, int K, int R, int S,
                                             int StrideH, int StrideW, int PadH, int PadW)
{
    public int P => (H + 2 * PadH - R) / StrideH + 1;
    public int Q => (W + 2 * PadW - S) / StrideW + 1;
    public long InputLength => (long)N * C * H * W;
    public long WeightLength => (long)K * C * R * S;
    public long OutputLength => (long)N * K * P * Q;
    /// <summary>2·N·K·P·Q·C·R·S: multiply-adds of the forward pass, counted as two FLOPs.</summary>
    public double ForwardFlops => 2.0 * N * K * P * Q * C * R * S;
}

/// <summary>Convolution (kernels-cu/conv.cu).</summary>
public partial interface IBackend
{
    /// <summary>y ← conv(x, w) (+ bias[K] when given).</summary>
    void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g);

    /// <summary>
    /// y ← bf16(conv(x, w) (+ bias[K])) stored as bf16: exactly the bf16 rounding (nearest even) of what
    /// the fp32-output overload writes at this backend's <see cref="Precision"/>. At bf16 the tensor-core
    /// epilogue stores it directly (half the bytes); batch norm reads it (Ops.Conv2dBatchNorm).
    /// </summary>
    void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g);

    // x stored as bf16 (a BN+ReLU output that only this convolution reads, Ops.Conv2dBatchNorm at
    // --precision bf16): each the primitive above on x widened to fp32 (exact). On a device these run
    // the bf16 tensor-core kernels only (the backend's Precision must be bf16); the cpu reference takes any.

    /// <summary>y ← conv(x, w) (+ bias) with x stored as bf16.</summary>
    void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g);

    /// <summary>y ← bf16(conv(x, w) (+ bias)) with x and y stored as bf16.</summary>
    void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g);

    /// <summary><see cref="Conv2dBackwardWeight(Tensor, Tensor, Tensor, Tensor?, Conv2dGeometry)"/> with x stored as bf16.</summary>
    void Conv2dBackwardWeight(Bf16Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g);

    // dy stored as bf16 (the gradient batch norm's backward hands a bf16 convolution, which rounds it
    // to bf16 anyway): the primitives on dy widened. No bias gradient: it is summed from dy as it is.

    /// <summary><see cref="Conv2dBackwardData(Tensor, Tensor, Tensor, Conv2dGeometry)"/> with dy stored as bf16.</summary>
    void Conv2dBackwardData(Bf16Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g);

    /// <summary>dw ← ∂L/∂w with dy stored as bf16.</summary>
    void Conv2dBackwardWeight(Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g);

    /// <summary>dw ← ∂L/∂w with x and dy stored as bf16.</summary>
    void Conv2dBackwardWeight(Bf16Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g);

    /// <summary>dx ← ∂L/∂x given dy (overwrites dx).</summary>
    void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g);

    /// <summary>dw ← ∂L/∂w, dbias ← Σ dy over N,P,Q when given (both overwritten).</summary>
    void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g);
}
