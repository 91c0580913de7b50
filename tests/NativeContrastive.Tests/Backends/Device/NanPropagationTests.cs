using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// A NaN stays NaN through ReLU, alone or fused after batch norm, on the emulated device as on the cpu
/// (and in PyTorch): fmaxf(NaN, 0) = 0 would let a diverged network produce a finite loss on the device
/// only, and the training step's finiteness check would then name a weight instead of the loss.
/// </summary>
public class NanPropagationTests
{
    private static IEnumerable<IBackend> Backends() => [CpuBackend.Instance, EmuDevice.Backend];

    [TestCaseSource(nameof(Backends))]
    public void ReluKeepsNaN(IBackend backend)
    {
        using var x = Tensor.FromArray(backend, [float.NaN, -1f, 2f, float.NegativeInfinity], 4);
        using var y = Tensor.Empty(backend, 4);
        backend.Relu(x, y);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { float.NaN, 0f, 2f, 0f }));
    }

    [TestCaseSource(nameof(Backends))]
    public void FusedBatchNormReluKeepsNaNInEveryMode(IBackend backend)
    {
        const int n = 2, c = 2, hw = 3;
        // Channel 0 holds a NaN (its statistics, so its whole plane, become NaN); channel 1 is finite.
        float[] values = [float.NaN, 1, 2, 3, 4, 5, /* image 1 */ 6, 7, 8, -9, 10, 11];
        using var x = Tensor.FromArray(backend, values, n, c, hw);
        using var gamma = Tensor.FromArray(backend, [1f, 1f], c);
        using var beta = Tensor.FromArray(backend, [0f, 0f], c);
        using var y = Tensor.Empty(backend, n, c, hw);
        using var mean = Tensor.Empty(backend, c);
        using var invStd = Tensor.Empty(backend, c);
        using var runningMean = Tensor.Zeros(backend, c);
        using var runningVar = Tensor.FromArray(backend, [1f, 1f], c);
        backend.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd, runningMean, runningVar, n, c, hw, 0.1f, 1e-5f, relu: true);
        var train = y.ToArray();
        Assert.That(new[] { 0, 1, 2, 6, 7, 8 }.Select(i => train[i]), Has.All.NaN, "training mode: channel 0");
        Assert.That(new[] { 3, 4, 5, 9, 10, 11 }.Select(i => train[i]), Has.All.Matches<float>(float.IsFinite), "training mode: channel 1");

        using var statsMean = Tensor.Zeros(backend, c);
        using var statsVar = Tensor.FromArray(backend, [1f, 1f], c);
        backend.BatchNormForwardInference(x, gamma, beta, y, statsMean, statsVar, n, c, hw, 1e-5f, relu: true);
        var eval = y.ToArray();
        Assert.That(eval[0], Is.NaN, "eval mode: the NaN element");
        Assert.That(eval[1], Is.EqualTo(1f).Within(1e-4f));
        Assert.That(eval[9], Is.Zero);
    }
}
