using System.Runtime.InteropServices;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Checkpoints;

/// <summary>One named tensor of a safetensors file: dtype, shape and its little-endian bytes.</summary>
public sealed class SafeTensor
{
    public SafeTensor(string name, SafeTensorDType dtype, int[] shape, byte[] data)
    {
        long expected = ShapeUtil.Count(shape) * dtype.Size();
        if (data.LongLength != expected)
            throw new ArgumentException($"SafeTensor '{name}': shape {ShapeUtil.Format(shape)} of {dtype} needs {expected} bytes, got {data.LongLength}.");
        Name = name;
        DType = dtype;
        Shape = (int[])shape.Clone();
        Data = data;
    }

    public string Name { get; }
    public SafeTensorDType DType { get; }
    public int[] Shape { get; }

    /// <summary>Raw little-endian element bytes, row-major.</summary>
    public byte[] Data { get; }

    public long ElementCount => ShapeUtil.Count(Shape);

    public float[] ToFloat32() => As<float>(SafeTensorDType.F32);
    public long[] ToInt64() => As<long>(SafeTensorDType.I64);
    public int[] ToInt32() => As<int>(SafeTensorDType.I32);

    private T[] As<T>(SafeTensorDType expected) where T : unmanaged
    {
        if (DType != expected) throw new InvalidOperationException($"Tensor '{Name}' is {DType}, read as {expected}.");
        return MemoryMarshal.Cast<byte, T>(Data).ToArray();
    }

    internal static byte[] Bytes<T>(ReadOnlySpan<T> values) where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();
}
