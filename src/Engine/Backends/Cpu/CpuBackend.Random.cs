using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Random numbers: RandomStream drawn in order, the reference of kernels-cu/random.cu.</summary>
public sealed partial class CpuBackend
{
    public void RandomUniform(Tensor y, ulong seed, ulong stream, float lo, float hi)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(y.Length));
        var Y = Data(y);
        var rng = new RandomStream(seed, stream);
        for (long i = 0; i < y.Length; i++) Y[i] = rng.NextFloat(lo, hi);
    }
}
