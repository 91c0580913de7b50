using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>kNN selection and voting: kernels-cu/knn.cu (per-row radix select, then a bitonic sort of the k winners).</summary>
public sealed partial class DeviceBackend
{
    public void TopKRows(Tensor scores, int rows, int cols, int k, Tensor values, IntTensor indices) =>
        knn.TopKRows(Buf(scores), rows, cols, k, Buf(values), Buf(indices));

    public void KnnVote(Tensor values, IntTensor indices, IntTensor labels, int rows, int k, int numClasses, float temperature, Tensor classScores) =>
        knn.KnnVote(Buf(values), Buf(indices), Buf(labels), (int)labels.Length, rows, k, numClasses, temperature, Buf(classScores), indexErrors);
}
