using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// SwAV's Sinkhorn-Knopp codes: kernels-cu/sinkhorn.cu, 2T + 1 launches. The scratch (u and the
/// slab partials) comes from the pool and goes back as soon as the launches are queued: the stream
/// orders any later user of the buffer after them, so nothing waits for the device.
/// </summary>
public sealed partial class DeviceBackend
{
    public void SinkhornCodes(Tensor scores, Tensor codes, int rows, int cols, float epsilon, int iterations)
    {
        SinkhornArguments.Validate(scores, codes, rows, cols, epsilon, iterations);
        var scratch = Pool.Rent(SinkhornKernels.ScratchBytes(rows, cols));
        try { sinkhorn.SinkhornCodes(Buf(scores), Buf(codes), rows, cols, epsilon, iterations, scratch); }
        finally { Pool.Return(scratch); }
    }
}
