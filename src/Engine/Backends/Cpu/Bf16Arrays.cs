using System.Runtime.Intrinsics;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// fp32 ⇄ bf16 over whole arrays for the cpu reference of the primitives that store or read a
/// <see cref="Tensors.Bf16Tensor"/>: rounding as <see cref="PrecisionRounding.Bf16Bits"/> (nearest even,
/// NaN → 0x7fff; what the kernels' nc_float_to_bf16 does), widening exact. Both are integer operations
/// on the fp32 bit pattern, 16 elements per step with Vector256 where the cpu has it, the scalar
/// functions for the tail and elsewhere.
/// </summary>
internal static class Bf16Arrays
{
    private const int ParallelBlock = 1 << 16;

    public static void Round(float[] source, ushort[] destination, long count) =>
        ForBlocks(count, (begin, end) => RoundRange(source, destination, begin, end));

    public static void Widen(ushort[] source, float[] destination, long count) =>
        ForBlocks(count, (begin, end) => WidenRange(source, destination, begin, end));

    private static void RoundRange(float[] source, ushort[] destination, long begin, long end)
    {
        long i = begin;
        if (Vector256.IsHardwareAccelerated)
        {
            var magnitude = Vector256.Create(0x7fffffffu);
            var infinity = Vector256.Create(0x7f800000u);
            var bias = Vector256.Create(0x7fffu);
            var one = Vector256.Create(1u);
            for (; i + 16 <= end; i += 16)
            {
                var lo = Vector256.LoadUnsafe(ref source[i]).AsUInt32();
                var hi = Vector256.LoadUnsafe(ref source[i + 8]).AsUInt32();
                Vector256.Narrow(RoundBits(lo), RoundBits(hi)).StoreUnsafe(ref destination[i]);
            }

            // (u + 0x7fff + lsb) >> 16 with lsb the bit that survives; NaN becomes 0x7fff.
            Vector256<uint> RoundBits(Vector256<uint> u)
            {
                var rounded = Vector256.ShiftRightLogical(u + bias + (Vector256.ShiftRightLogical(u, 16) & one), 16);
                return Vector256.ConditionalSelect(Vector256.GreaterThan(u & magnitude, infinity), bias, rounded);
            }
        }
        for (; i < end; i++) destination[i] = PrecisionRounding.Bf16Bits(source[i]);
    }

    private static void WidenRange(ushort[] source, float[] destination, long begin, long end)
    {
        long i = begin;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 16 <= end; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref source[i]));
                Vector256.ShiftLeft(lo, 16).AsSingle().StoreUnsafe(ref destination[i]);
                Vector256.ShiftLeft(hi, 16).AsSingle().StoreUnsafe(ref destination[i + 8]);
            }
        for (; i < end; i++) destination[i] = PrecisionRounding.FromBf16Bits(source[i]);
    }

    private static void ForBlocks(long count, Action<long, long> body)
    {
        long blocks = (count + ParallelBlock - 1) / ParallelBlock;
        if (blocks <= 1) body(0, count);
        else Parallel.For(0L, blocks, b => body(b * ParallelBlock, Math.Min(count, (b + 1) * ParallelBlock)));
    }
}
