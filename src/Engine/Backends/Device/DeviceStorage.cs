using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Memory of a <see cref="DeviceBackend"/>: a pooled device buffer of at least
/// <see cref="Storage.Length"/> elements (the pool rounds sizes up to its buckets, so the buffer
/// may be larger). Element 0 of a tensor is the first element of the buffer: tensors are
/// contiguous and views share storage without an offset.
/// </summary>
public sealed class DeviceStorage : Storage
{
    internal DeviceStorage(DeviceBackend backend, DeviceBuffer buffer, long length, DType type) : base(backend, length, type) => Buffer = buffer;

    public DeviceBuffer Buffer { get; }
}
