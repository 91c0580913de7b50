using System.Collections.Concurrent;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// The C# reference backend: the oracle every kernel is tested against, and a usable
/// trainer on small data. Readable first (each family is a plain loop in its own file,
/// CpuBackend.&lt;Family&gt;.cs), then fast: SIMD through TensorPrimitives / Vector512 and
/// all cores through Parallel.For where the work is large enough to pay for it.
/// This file holds memory management: float and int arrays are pooled by exact length, so
/// steady-state training allocates nothing on the managed heap (byte arrays, which hold whole
/// data sets, are not pooled).
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    private readonly ConcurrentDictionary<long, ConcurrentBag<float[]>> floatPool = new();
    private readonly ConcurrentDictionary<long, ConcurrentBag<int[]>> intPool = new();
    private readonly ConcurrentDictionary<long, ConcurrentBag<ushort[]>> bf16Pool = new();

    public string Name => "cpu";

    public bool ComputesOnHost => true;

    public Precision Precision { get; set; } = Precision.Fp32;

    /// <summary>Work items below this many elements run on one thread (threading costs ~µs).</summary>
    internal const int ParallelThreshold = 1 << 15;

    /// <summary>The array behind a float tensor (exactly <c>t.Length</c> long).</summary>
    public static float[] Data(Tensor t) => ((CpuStorage<float>)t.Storage).Data;

    /// <summary>The array behind an int tensor.</summary>
    public static int[] Data(IntTensor t) => ((CpuStorage<int>)t.Storage).Data;

    /// <summary>The array behind a byte tensor.</summary>
    public static byte[] Data(ByteTensor t) => ((CpuStorage<byte>)t.Storage).Data;

    /// <summary>The bf16 bit patterns behind a bf16 tensor.</summary>
    public static ushort[] Data(Bf16Tensor t) => ((CpuStorage<ushort>)t.Storage).Data;

    public Storage Allocate(long length, DType type)
    {
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), $"cpu tensors hold at most {Array.MaxLength} elements, asked for {length}.");
        using var profile = CpuProfile.Time();
        if (type == DType.UInt8)
            return new CpuStorage<byte>(this, GC.AllocateUninitializedArray<byte>((int)length), type);
        if (type == DType.BFloat16)
        {
            var arr = bf16Pool.TryGetValue(length, out var bag) && bag.TryTake(out var a) ? a : GC.AllocateUninitializedArray<ushort>((int)length);
            return new CpuStorage<ushort>(this, arr, type);
        }
        if (type == DType.Float32)
        {
            var arr = floatPool.TryGetValue(length, out var bag) && bag.TryTake(out var a) ? a : GC.AllocateUninitializedArray<float>((int)length);
            return new CpuStorage<float>(this, arr, type);
        }
        else
        {
            var arr = intPool.TryGetValue(length, out var bag) && bag.TryTake(out var a) ? a : GC.AllocateUninitializedArray<int>((int)length);
            return new CpuStorage<int>(this, arr, type);
        }
    }

    public void Free(Storage storage)
    {
        switch (storage)
        {
            case CpuStorage<float> f: floatPool.GetOrAdd(f.Length, _ => new()).Add(f.Data); break;
            case CpuStorage<int> i: intPool.GetOrAdd(i.Length, _ => new()).Add(i.Data); break;
            case CpuStorage<ushort> h: bf16Pool.GetOrAdd(h.Length, _ => new()).Add(h.Data); break;
            case CpuStorage<byte>: break; // resident data sets: made once, left to the GC rather than pooled
            default: throw new ArgumentException($"Storage from backend {storage.Backend.Name} freed on cpu.");
        }
    }

    /// <summary>Drops every pooled array (e.g. between runs with different shapes).</summary>
    public void TrimPool()
    {
        floatPool.Clear();
        intPool.Clear();
        bf16Pool.Clear();
    }

    public void CopyFromHost(ReadOnlySpan<float> source, Tensor destination)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(destination.Length));
        source.CopyTo(Data(destination));
    }

    public void CopyToHost(Tensor source, Span<float> destination)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(source.Length));
        Data(source).AsSpan().CopyTo(destination);
    }

    public void CopyFromHost(ReadOnlySpan<int> source, IntTensor destination)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(destination.Length));
        source.CopyTo(Data(destination));
    }

    public void CopyToHost(IntTensor source, Span<int> destination)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(source.Length));
        Data(source).AsSpan().CopyTo(destination);
    }

    public void CopyFromHost(ReadOnlySpan<byte> source, ByteTensor destination)
    {
        using var profile = CpuProfile.Time(new LaunchCost(destination.Length));
        source.CopyTo(Data(destination));
    }

    public void CopyFromHost(ReadOnlySpan<ushort> source, Bf16Tensor destination)
    {
        using var profile = CpuProfile.Time(new LaunchCost(2 * destination.Length));
        source.CopyTo(Data(destination));
    }

    public void CopyToHost(Bf16Tensor source, Span<ushort> destination)
    {
        using var profile = CpuProfile.Time(new LaunchCost(2 * source.Length));
        Data(source).AsSpan().CopyTo(destination);
    }

    // The two conversions the bf16-storage primitives (conv, batch norm) are built from: each is its
    // fp32 twin on widened inputs (exact), with a bf16 output rounded from the fp32 result.

    /// <summary>x widened to fp32 in a new tensor (exact: a bf16 value is an fp32 value with 16 zero low bits).</summary>
    private Tensor Widen(Bf16Tensor x)
    {
        var wide = Tensor.Empty(this, x.Shape);
        using var profile = CpuProfile.Time(new LaunchCost(6 * x.Length));
        Bf16Arrays.Widen(Data(x), Data(wide), x.Length);
        return wide;
    }

    /// <summary>y ← bf16(x), nearest even (<see cref="Kernels.Families.PrecisionRounding.Bf16Bits"/>).</summary>
    private void RoundInto(Tensor x, Bf16Tensor y)
    {
        using var profile = CpuProfile.Time(new LaunchCost(6 * x.Length));
        Bf16Arrays.Round(Data(x), Data(y), x.Length);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * destination.Length));
        Data(source).AsSpan().CopyTo(Data(destination));
    }

    public void Fill(Tensor t, float value)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(t.Length));
        Data(t).AsSpan().Fill(value);
    }

    public void CopyBlocks(Tensor source, long sourceOffset, long sourceStride,
                           Tensor destination, long destinationOffset, long destinationStride,
                           long blockLength, long blockCount)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * blockLength * blockCount));
        var src = Data(source);
        var dst = Data(destination);
        for (long b = 0; b < blockCount; b++)
            Array.Copy(src, sourceOffset + b * sourceStride, dst, destinationOffset + b * destinationStride, blockLength);
    }

    public void Synchronize() { }
}
