using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// <see cref="IBackend.CountNonFiniteMulti"/> (optim.cu nonfinite_multi_count) on the emulated device and the cpu:
/// exact counts of NaN, +Infinity and −Infinity over tensors of awkward lengths (1, a block and one, several chunks),
/// with the largest finite value and a subnormal counted as finite; counts accumulate in their slot and leave
/// the other slots alone.
/// </summary>
public class NonFiniteCountTests
{
    private static readonly int[] Lengths = [1, 257, 70_001];

    private static float[] Values(int n, int seed)
    {
        var v = TestData.Uniform(seed, n);
        if (n > 3) { v[1] = float.MaxValue; v[2] = -float.Epsilon; }
        return v;
    }

    private static int[] Count(IBackend backend, (int Tensor, int Index, float Value)[] poison)
    {
        var tensors = Lengths.Select((n, i) => Tensor.FromArray(backend, Values(n, i), n)).ToList();
        foreach (var (t, i, value) in poison)
        {
            var host = tensors[t].ToArray();
            host[i] = value;
            backend.CopyFromHost(host, tensors[t]);
        }
        using var set = new MultiTensorSet(tensors);
        using var counts = IntTensor.FromArray(backend, new int[3]);
        backend.CountNonFiniteMulti(set, counts, 1);
        backend.CountNonFiniteMulti(set, counts, 1);
        var result = counts.ToArray();
        foreach (var t in tensors) t.Dispose();
        return result;
    }

    [Test]
    public void CountsAgreeOnEmuAndCpu()
    {
        (int, int, float)[] poison = [(0, 0, float.NaN), (1, 256, float.PositiveInfinity), (2, 0, float.NegativeInfinity), (2, 70_000, float.NaN), (2, 40_000, float.NaN)];
        Assert.That(Count(CpuBackend.Instance, poison), Is.EqualTo(new[] { 0, 10, 0 }), "cpu: 5 values, counted twice into slot 1");
        Assert.That(Count(EmuDevice.Backend, poison), Is.EqualTo(new[] { 0, 10, 0 }), "emu");
    }

    [Test]
    public void FiniteExtremesCountAsFinite()
    {
        Assert.That(Count(CpuBackend.Instance, []), Is.EqualTo(new[] { 0, 0, 0 }));
        Assert.That(Count(EmuDevice.Backend, []), Is.EqualTo(new[] { 0, 0, 0 }));
    }
}
