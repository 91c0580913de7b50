using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Row-wise softmax family (kernels-cu/softmax.cu).</summary>
public partial interface IBackend
{
    /// <summary>y[r,:] ← x[r,:] − logΣexp x[r,:] (max-subtracted for stability).</summary>
    void LogSoftmaxRows(Tensor x, Tensor y, int rows, int cols);

    /// <summary>dx[r,:] ← dy[r,:] − exp(y[r,:])·Σ dy[r,:] for the log-softmax output y.</summary>
    void LogSoftmaxRowsBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols);

    /// <summary>y[r] ← x[r, index[r]] (NLL picks, positives of a contrastive row).</summary>
    void PickPerRow(Tensor x, IntTensor index, Tensor y, int rows, int cols);

    /// <summary>dx ← 0 then dx[r, index[r]] ← dy[r].</summary>
    void PickPerRowBackward(Tensor dy, IntTensor index, Tensor dx, int rows, int cols);

    /// <summary>y ← x, except y[r, r] ← <paramref name="value"/> (the self-similarity mask of NT-Xent; rows ≤ cols).</summary>
    void FillDiagonal(Tensor x, float value, int rows, int cols, Tensor y);
}
