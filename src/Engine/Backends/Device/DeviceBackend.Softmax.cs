using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Row-wise softmax family: kernels-cu/softmax.cu. A target column outside [0, cols) cannot throw
/// from a kernel; it is recorded and raised at the next copy to the host.
/// </summary>
public sealed partial class DeviceBackend
{
    public void LogSoftmaxRows(Tensor x, Tensor y, int rows, int cols) => softmax.LogSoftmax(Buf(x), Buf(y), rows, cols);

    public void LogSoftmaxRowsBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) =>
        softmax.LogSoftmaxBackward(Buf(y), Buf(dy), Buf(dx), rows, cols);

    public void PickPerRow(Tensor x, IntTensor index, Tensor y, int rows, int cols) =>
        softmax.PickPerRow(Buf(x), Buf(index), Buf(y), rows, cols, indexErrors);

    public void PickPerRowBackward(Tensor dy, IntTensor index, Tensor dx, int rows, int cols) =>
        softmax.PickPerRowBackward(Buf(dy), Buf(index), Buf(dx), rows, cols, indexErrors);

    public void FillDiagonal(Tensor x, float value, int rows, int cols, Tensor y) => softmax.MaskDiagonal(Buf(x), Buf(y), rows, cols, value);
}
