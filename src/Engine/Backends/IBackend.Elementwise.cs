using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Elementwise maps over equal-length tensors (kernels-cu/elementwise.cu).</summary>
public partial interface IBackend
{
    /// <summary>y ← a + b.</summary>
    void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>y ← a ⊙ b.</summary>
    void Mul(Tensor a, Tensor b, Tensor y);

    /// <summary>y ← α·x + β·y (in place on y; β = 0 ignores y's old contents, NaN included).</summary>
    void Axpby(float alpha, Tensor x, float beta, Tensor y);

    /// <summary>y ← scale·x + shift.</summary>
    void Affine(Tensor x, float scale, float shift, Tensor y);

    /// <summary>y ← exp(x).</summary>
    void Exp(Tensor x, Tensor y);

    /// <summary>y ← ln(x).</summary>
    void Log(Tensor x, Tensor y);

    /// <summary>y ← max(x, 0).</summary>
    void Relu(Tensor x, Tensor y);

    /// <summary>dx ← dy where y &gt; 0, else 0 (y is the ReLU output).</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx);
}
