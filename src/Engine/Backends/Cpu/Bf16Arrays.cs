using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// fp32 ⇄ bf16 over whole arrays for the cpu reference of the primitives that store or read a
/// <see cref="Tensors.Bf16Tensor"/>: rounding as <see cref="PrecisionRounding.Bf16Bits"/> (nearest even,
/// what the kernels' nc_float_to_bf16 does), widening exact.
/// </summary>
internal static class Bf16Arrays
{
    private const int ParallelBlock = 1 << 16;

    public static void Round(float[] source, ushort[] destination, long count) =>
        ForBlocks(count, (begin, end) => { for (long i = begin; i < end; i++) destination[i] = PrecisionRounding.Bf16Bits(source[i]); });

    public static void Widen(ushort[] source, float[] destination, long count) =>
        ForBlocks(count, (begin, end) => { for (long i = begin; i < end; i++) destination[i] = PrecisionRounding.FromBf16Bits(source[i]); });

    private static void ForBlocks(long count, Action<long, long> body)
    {
        long blocks = (count + ParallelBlock - 1) / ParallelBlock;
        if (blocks <= 1) body(0, count);
        else Parallel.For(0L, blocks, b => body(b * ParallelBlock, Math.Min(count, (b + 1) * ParallelBlock)));
    }
}
