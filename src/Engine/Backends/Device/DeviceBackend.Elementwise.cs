using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Elementwise maps: kernels-cu/elementwise.cu, one grid-stride launch each.</summary>
public sealed partial class DeviceBackend
{
    public void Add(Tensor a, Tensor b, Tensor y) => elementwise.Add(Buf(a), Buf(b), Buf(y), y.Length);

    public void Mul(Tensor a, Tensor b, Tensor y) => elementwise.Mul(Buf(a), Buf(b), Buf(y), y.Length);

    public void Axpby(float alpha, Tensor x, float beta, Tensor y) => elementwise.Axpby(alpha, Buf(x), beta, Buf(y), y.Length);

    public void Affine(Tensor x, float scale, float shift, Tensor y) => elementwise.Affine(Buf(x), scale, shift, Buf(y), y.Length);

    public void Exp(Tensor x, Tensor y) => elementwise.Exp(Buf(x), Buf(y), y.Length);

    public void Log(Tensor x, Tensor y) => elementwise.Log(Buf(x), Buf(y), y.Length);

    public void Relu(Tensor x, Tensor y) => elementwise.Relu(Buf(x), Buf(y), y.Length);

    /// <summary>relu_backward_kernel masks by its first operand &gt; 0; the ReLU output y is positive exactly where x was.</summary>
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => elementwise.ReluBackward(Buf(y), Buf(dy), Buf(dx), dx.Length);
}
