using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Allocation and data movement.</summary>
public partial interface IBackend
{
    /// <summary>Device memory for <paramref name="length"/> elements of <paramref name="type"/> (<see cref="DTypes.Size"/> bytes each); contents undefined.</summary>
    Storage Allocate(long length, DType type);

    /// <summary>Returns memory to the backend (called by the last <see cref="Storage"/> release).</summary>
    void Free(Storage storage);

    void CopyFromHost(ReadOnlySpan<float> source, Tensor destination);
    void CopyToHost(Tensor source, Span<float> destination);
    void CopyFromHost(ReadOnlySpan<int> source, IntTensor destination);
    void CopyToHost(IntTensor source, Span<int> destination);
    void CopyFromHost(ReadOnlySpan<byte> source, ByteTensor destination);
    /// <summary>bf16 bit patterns in (see <see cref="Kernels.Families.PrecisionRounding.Bf16Bits"/>).</summary>
    void CopyFromHost(ReadOnlySpan<ushort> source, Bf16Tensor destination);
    /// <summary>bf16 bit patterns out; waits for the queued work as the float overload does.</summary>
    void CopyToHost(Bf16Tensor source, Span<ushort> destination);

    /// <summary>destination ← source (same length).</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>t ← value everywhere.</summary>
    void Fill(Tensor t, float value);

    /// <summary>
    /// Strided block copy, the primitive behind concat, split and slicing:
    /// for b in [0, blockCount): dst[dstOffset + b·dstStride + i] ← src[srcOffset + b·srcStride + i], i &lt; blockLength.
    /// </summary>
    void CopyBlocks(Tensor source, long sourceOffset, long sourceStride,
                    Tensor destination, long destinationOffset, long destinationStride,
                    long blockLength, long blockCount);

    /// <summary>Waits until all queued work has finished (no-op on cpu).</summary>
    void Synchronize();
}
