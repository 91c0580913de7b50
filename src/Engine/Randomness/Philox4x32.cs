using System.Runtime.CompilerServices;

namespace NativeContrastive.Engine.Randomness;

/// <summary>
/// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
/// a counter-based generator. The output block is a bijection of a 128-bit counter under a
/// 64-bit key, so any draw can be computed directly from (key, counter) with no state:
/// the same seed gives the same numbers on cpu, emu and cuda, in any thread order.
/// kernels-cu/philox.cuh is the CUDA twin of this file.
/// </summary>
public static class Philox4x32
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57; // round multipliers
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85; // Weyl key increments (golden ratio, √3−1)

    /// <summary>Ten rounds over counter (c0..c3) with key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0;
            uint hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }
}
