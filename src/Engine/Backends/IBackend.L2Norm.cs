using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Row L2 normalisation (kernels-cu/l2norm.cu).</summary>
public partial interface IBackend
{
    /// <summary>y[r,:] ← x[r,:] / max(‖x[r,:]‖₂, eps); norms[r] ← max(‖x[r,:]‖₂, eps).</summary>
    void L2NormalizeRows(Tensor x, Tensor y, Tensor norms, int rows, int cols, float eps);

    /// <summary>dx[r,:] ← (dy − y·⟨dy, y⟩) / norm[r] for the normalised output y.</summary>
    void L2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx, int rows, int cols);
}
