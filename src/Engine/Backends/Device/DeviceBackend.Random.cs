using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Random numbers: kernels-cu/random.cu (one thread per Philox block).</summary>
public sealed partial class DeviceBackend
{
    public void RandomUniform(Tensor y, ulong seed, ulong stream, float lo, float hi) =>
        random.Uniform(Buf(y), y.Length, seed, stream, lo, hi);
}
