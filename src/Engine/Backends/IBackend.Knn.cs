using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Nearest-neighbour selection and voting for kNN evaluation (kernels-cu/knn.cu).</summary>
public partial interface IBackend
{
    /// <summary>
    /// For each row r of scores [rows, cols]: values[r, 0..k) ← the k largest scores in
    /// descending order, indices[r, 0..k) ← their column indices. Equal scores are ordered
    /// by the lower column index first; NaN ranks below every number. Requires 0 ≤ k ≤ cols.
    /// </summary>
    void TopKRows(Tensor scores, int rows, int cols, int k, Tensor values, IntTensor indices);

    /// <summary>
    /// Weighted kNN vote (Wu et al. 2018, §4.1): classScores[r, c] ← Σ_{j&lt;k, labels[indices[r,j]] = c}
    /// exp(values[r,j] / temperature) for values, indices [rows, k] and labels [N] in [0, numClasses).
    /// Overwrites classScores [rows, numClasses]. A label outside [0, numClasses) throws.
    /// </summary>
    void KnnVote(Tensor values, IntTensor indices, IntTensor labels, int rows, int k, int numClasses, float temperature, Tensor classScores);
}
