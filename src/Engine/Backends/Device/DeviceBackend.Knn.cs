using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// kNN selection and voting. TEMPORARY: runs on the cpu backend through <see cref="HostFallback"/>
/// until kernels-cu/knn.cu lands; this file is then replaced by launches of its kernels.
/// </summary>
public sealed partial class DeviceBackend
{
    public void TopKRows(Tensor scores, int rows, int cols, int k, Tensor values, IntTensor indices) =>
        HostFallback.Run(this, h => CpuBackend.Instance.TopKRows(h.In(scores), rows, cols, k, h.Out(values), h.Out(indices)));

    public void KnnVote(Tensor values, IntTensor indices, IntTensor labels, int rows, int k, int numClasses, float temperature, Tensor classScores) =>
        HostFallback.Run(this, h => CpuBackend.Instance.KnnVote(h.In(values), h.In(indices), h.In(labels), rows, k, numClasses, temperature,
            h.Out(classScores)));
}
