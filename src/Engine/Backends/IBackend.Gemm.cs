using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Matrix products and layout changes (kernels-cu/gemm.cu, cuBLAS where present).</summary>
public partial interface IBackend
{
    /// <summary>
    /// Row-major C[m,n] ← α·op(A)·op(B) + β·C, op(X) = Xᵀ when trans. A starts at
    /// a[aOffset] with shape [m,k] (or [k,m] when transA), B at b[bOffset] with shape
    /// [k,n] (or [n,k] when transB), C at c[cOffset]. β = 0 ignores C's old contents.
    /// </summary>
    void Gemm(bool transA, bool transB, int m, int n, int k,
              float alpha, Tensor a, long aOffset, Tensor b, long bOffset,
              float beta, Tensor c, long cOffset);

    /// <summary>
    /// <see cref="Gemm"/> for batch = 0..count-1 with offsets advanced by the strides
    /// (bmm; a stride of 0 broadcasts that operand).
    /// </summary>
    void GemmStridedBatched(bool transA, bool transB, int m, int n, int k,
                            float alpha, Tensor a, long strideA, Tensor b, long strideB,
                            float beta, Tensor c, long strideC, int count);

    /// <summary>y[c, r] ← x[r, c] for a [rows, cols] matrix, repeated over <paramref name="batch"/> matrices.</summary>
    void Transpose(Tensor x, int batch, int rows, int cols, Tensor y);
}
