using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Reductions and broadcasts: kernels-cu/reduction.cu (and the bias-add of elementwise.cu). The
/// whole-tensor sums write a device scalar; their partial sums use a scratch buffer from the pool.
/// </summary>
public sealed partial class DeviceBackend
{
    public void Sum(Tensor x, Tensor y)
    {
        var scratch = Pool.Rent(ReductionKernels.MaxPartials * sizeof(float));
        try { reduction.Sum(Buf(x), x.Length, Buf(y), scratch); }
        finally { Pool.Return(scratch); }
    }

    public void SumOfSquares(Tensor x, Tensor y)
    {
        var scratch = Pool.Rent(ReductionKernels.MaxPartials * sizeof(float));
        try { reduction.SumOfSquares(Buf(x), x.Length, Buf(y), scratch); }
        finally { Pool.Return(scratch); }
    }

    public void SumRows(Tensor x, int rows, int cols, Tensor y) => reduction.RowSums(Buf(x), Buf(y), rows, cols);

    public void SumColumns(Tensor x, int rows, int cols, Tensor y) => reduction.ColumnSums(Buf(x), Buf(y), rows, cols);

    public void AddRowVector(Tensor x, Tensor v, int rows, int cols, Tensor y) => elementwise.BiasAdd(Buf(x), Buf(v), Buf(y), rows, cols);

    public void BroadcastColumn(Tensor v, float alpha, int rows, int cols, Tensor y) => reduction.BroadcastColumn(Buf(v), alpha, Buf(y), rows, cols);

    public void BroadcastRow(Tensor v, float alpha, int rows, int cols, Tensor y) => reduction.BroadcastRow(Buf(v), alpha, Buf(y), rows, cols);
}
