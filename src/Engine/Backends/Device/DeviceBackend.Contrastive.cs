using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Fused contrastive losses (InfoNCE, NCE, SupCon): kernels-cu/contrastive.cu, a warp per row. A positive outside the
/// row's candidates (outside [0, cols), or the row itself when excluding self) cannot throw from
/// a kernel; it is recorded and raised at the next copy to the host.
/// </summary>
public sealed partial class DeviceBackend
{
    public void InfoNceRows(Tensor similarity, IntTensor positives, float temperature, bool excludeSelf, int rows, int cols,
                            Tensor loss, Tensor logSumExp) =>
        contrastive.InfoNceRows(Buf(similarity), Buf(positives), temperature, excludeSelf, rows, cols, Buf(loss), Buf(logSumExp), indexErrors);

    public void InfoNceRowsBackward(Tensor similarity, IntTensor positives, Tensor logSumExp, Tensor dLoss, float temperature,
                                    bool excludeSelf, int rows, int cols, Tensor dSimilarity) =>
        contrastive.InfoNceRowsBackward(Buf(similarity), Buf(positives), Buf(logSumExp), Buf(dLoss), temperature, excludeSelf, rows, cols,
            Buf(dSimilarity), indexErrors);

    public void NceRows(Tensor logits, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor loss) =>
        contrastive.NceRows(Buf(logits), Buf(normaliserZ), dataSize, rows, cols, Buf(loss));

    public void NceRowsBackward(Tensor logits, Tensor dLoss, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor dLogits) =>
        contrastive.NceRowsBackward(Buf(logits), Buf(dLoss), Buf(normaliserZ), dataSize, rows, cols, Buf(dLogits));

    public void SupConRows(Tensor similarity, IntTensor labels, float temperature, int rows, int cols, Tensor loss, Tensor logSumExp,
                           IntTensor positiveCounts) =>
        contrastive.SupConRows(Buf(similarity), Buf(labels), temperature, rows, cols, Buf(loss), Buf(logSumExp), Buf(positiveCounts));

    public void SupConRowsBackward(Tensor similarity, IntTensor labels, Tensor logSumExp, IntTensor positiveCounts, Tensor dLoss, float temperature,
                                   int rows, int cols, Tensor dSimilarity) =>
        contrastive.SupConRowsBackward(Buf(similarity), Buf(labels), Buf(logSumExp), Buf(positiveCounts), Buf(dLoss), temperature, rows, cols,
            Buf(dSimilarity));
}
