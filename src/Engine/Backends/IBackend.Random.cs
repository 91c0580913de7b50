using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Counter-based random numbers on the backend (kernels-cu/random.cu, Philox 4x32-10).</summary>
public partial interface IBackend
{
    /// <summary>
    /// y[i] ← lo + (hi − lo)·u_i with u_i draw i of RandomStream(seed, stream).NextFloat(): the same
    /// bits on every device (the kernel rounds each step as C# does), so a bank or weight drawn on the
    /// device needs no host array and no upload.
    /// </summary>
    void RandomUniform(Tensor y, ulong seed, ulong stream, float lo, float hi);
}
