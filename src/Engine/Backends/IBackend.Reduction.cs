using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Reductions and broadcasts over a [rows, cols] view (kernels-cu/reduction.cu).</summary>
public partial interface IBackend
{
    /// <summary>y[0] ← Σ x (y has one element).</summary>
    void Sum(Tensor x, Tensor y);

    /// <summary>y[0] ← Σ x² (y has one element); LARS trust ratios and gradient norms.</summary>
    void SumOfSquares(Tensor x, Tensor y);

    /// <summary>y[r] ← Σ_c x[r, c].</summary>
    void SumRows(Tensor x, int rows, int cols, Tensor y);

    /// <summary>y[c] ← Σ_r x[r, c].</summary>
    void SumColumns(Tensor x, int rows, int cols, Tensor y);

    /// <summary>y[r, c] ← x[r, c] + v[c] (bias add of a linear layer).</summary>
    void AddRowVector(Tensor x, Tensor v, int rows, int cols, Tensor y);

    /// <summary>y[r, c] ← alpha · v[r] (broadcast a column; backward of SumRows).</summary>
    void BroadcastColumn(Tensor v, float alpha, int rows, int cols, Tensor y);

    /// <summary>y[r, c] ← alpha · v[c] (broadcast a row; backward of SumColumns).</summary>
    void BroadcastRow(Tensor v, float alpha, int rows, int cols, Tensor y);
}
