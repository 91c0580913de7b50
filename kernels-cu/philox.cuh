// philox.cuh — Philox 4x32-10 (Salmon et al., SC'11), the CUDA twin of
// src/Engine/Randomness/Philox4x32.cs: the same (counter, key) gives the same four words on
// cpu, emu and cuda. RandomStream's layout: key = seed (k0 low, k1 high); counter =
// (block index low, block index high, stream low, stream high); draw i of a stream is word
// i % 4 of block i / 4.
#pragma once
#include "nc_cuda.cuh"

#define NC_PHILOX_M0 0xD2511F53u // round multipliers
#define NC_PHILOX_M1 0xCD9E8D57u
#define NC_PHILOX_W0 0x9E3779B9u // Weyl key increments (golden ratio, sqrt(3) - 1)
#define NC_PHILOX_W1 0xBB67AE85u

// Ten rounds over counter (c0..c3) with key (k0, k1); the result replaces out[0..3].
__device__ __forceinline__ void nc_philox4x32_10(nc_u32 c0, nc_u32 c1, nc_u32 c2, nc_u32 c3, nc_u32 k0, nc_u32 k1,
                                                 nc_u32* out)
{
#pragma unroll
    for (int round = 0; round < 10; round++)
    {
        if (round > 0) { k0 += NC_PHILOX_W0; k1 += NC_PHILOX_W1; }
        nc_u32 hi0 = __umulhi(NC_PHILOX_M0, c0), lo0 = NC_PHILOX_M0 * c0;
        nc_u32 hi1 = __umulhi(NC_PHILOX_M1, c2), lo1 = NC_PHILOX_M1 * c2;
        nc_u32 n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// Uniform in [0, 1) with 24 random bits, exactly RandomStream.NextFloat: (x >> 8) · 2⁻²⁴.
__device__ __forceinline__ float nc_uniform24(nc_u32 x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
