using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Host memory of the cpu backend: a managed array of exactly the storage's length.</summary>
public sealed class CpuStorage<T> : Storage where T : unmanaged
{
    public CpuStorage(IBackend backend, T[] data, DType type) : base(backend, data.Length, type) => Data = data;

    public T[] Data { get; }
}
