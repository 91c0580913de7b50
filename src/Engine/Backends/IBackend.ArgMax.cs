using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Per-row arg-max and arg-min (kernels-cu/argmax.cu): k-means assignments, class predictions.</summary>
public partial interface IBackend
{
    /// <summary>
    /// For each row r of x [rows, cols] (cols ≥ 1): values[r] ← max_j x[r, j] and indices[r] ← the
    /// first column j holding it. −0 and +0 tie (the lower column wins); NaN ranks below every number,
    /// so a row of NaN gives column 0. The value written is the element itself. Overwrites values
    /// and indices [rows].
    /// </summary>
    void ArgMaxRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices);

    /// <summary>As <see cref="ArgMaxRows"/> with the smallest value (NaN still ranks last).</summary>
    void ArgMinRows(Tensor x, int rows, int cols, Tensor values, IntTensor indices);
}
