// random.cu — counter-based random numbers from Philox 4x32-10 (philox.cuh).
//
// Element i of an output is draw i of the stream (seed, stream), exactly as
// RandomStream(seed, stream) hands them out in order on the cpu: thread t computes Philox
// block t and writes elements 4t .. 4t+3. No state, so any grid gives the same numbers.
// Arithmetic that must match the C# twin bit for bit uses __fadd_rn / __fmul_rn, which the
// compiler may not contract into an FMA. Launch configuration: RandomKernels.cs.
#include "nc_cuda.cuh"
#include "philox.cuh"

#define NC_BLOCK_STRIDE(b, nblocks) \
    for (long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x; b < (nblocks); b += (long long)gridDim.x * blockDim.x)

// out[4b + j] = Philox4x32-10(counter = (first + b, s), key = k)[j] for b < nblocks.
extern "C" __global__ void philox_forward_kernel(nc_u32* out, long long nblocks, nc_u32 k0, nc_u32 k1, nc_u32 s0, nc_u32 s1,
                                                 nc_u64 first)
{
    NC_BLOCK_STRIDE(b, nblocks)
    {
        nc_u64 c = first + (nc_u64)b;
        nc_u32 r[4];
        nc_philox4x32_10((nc_u32)c, (nc_u32)(c >> 32), s0, s1, k0, k1, r);
        for (int j = 0; j < 4; j++) out[4 * b + j] = r[j];
    }
}

// y[i] = lo + (hi − lo) · u_i,  u_i = NextFloat (24 bits) — RandomStream.NextFloat(lo, hi).
extern "C" __global__ void uniform_forward_kernel(float* y, long long n, nc_u32 k0, nc_u32 k1, nc_u32 s0, nc_u32 s1, float lo,
                                                  float hi)
{
    long long nblocks = (n + 3) / 4;
    NC_BLOCK_STRIDE(b, nblocks)
    {
        nc_u32 r[4];
        nc_philox4x32_10((nc_u32)b, (nc_u32)((nc_u64)b >> 32), s0, s1, k0, k1, r);
        for (int j = 0; j < 4; j++)
            if (4 * b + j < n) y[4 * b + j] = __fadd_rn(lo, __fmul_rn(hi - lo, nc_uniform24(r[j])));
    }
}

// y[i] = mean + std · z_i, z from Box–Muller over draw pairs, exactly RandomStream.NextGaussian:
// u1 = ((a >> 8) + 1) · 2⁻²⁴ ∈ (0, 1], u2 = NextFloat, r = √(−2 ln u1) (double precision);
// z_{2p} = r cos 2πu2, z_{2p+1} = r sin 2πu2. Each Philox block gives two pairs.
extern "C" __global__ void normal_forward_kernel(float* y, long long n, nc_u32 k0, nc_u32 k1, nc_u32 s0, nc_u32 s1,
                                                 float mean, float stddev)
{
    const double two_pi = 6.283185307179586;   // (double)2·Math.PI
    long long nblocks = (n + 3) / 4;
    NC_BLOCK_STRIDE(b, nblocks)
    {
        nc_u32 r[4];
        nc_philox4x32_10((nc_u32)b, (nc_u32)((nc_u64)b >> 32), s0, s1, k0, k1, r);
        for (int p = 0; p < 2; p++)
        {
            double u1 = (double)((r[2 * p] >> 8) + 1) * (1.0 / 16777216.0);
            double u2 = (double)nc_uniform24(r[2 * p + 1]);
            double radius = sqrt(-2.0 * log(u1));
            double angle = __dmul_rn(two_pi, u2);
            long long i = 4 * b + 2 * p;
            if (i < n) y[i] = __fadd_rn(mean, __fmul_rn(stddev, (float)(radius * cos(angle))));
            if (i + 1 < n) y[i + 1] = __fadd_rn(mean, __fmul_rn(stddev, (float)(radius * sin(angle))));
        }
    }
}

// y[i] = ⌊x_i · range / 2³²⌋ ∈ [0, range) — RandomStream.NextInt (Lemire's multiply-shift).
extern "C" __global__ void randint_forward_kernel(int* y, long long n, nc_u32 k0, nc_u32 k1, nc_u32 s0, nc_u32 s1, int range)
{
    long long nblocks = (n + 3) / 4;
    NC_BLOCK_STRIDE(b, nblocks)
    {
        nc_u32 r[4];
        nc_philox4x32_10((nc_u32)b, (nc_u32)((nc_u64)b >> 32), s0, s1, k0, k1, r);
        for (int j = 0; j < 4; j++)
            if (4 * b + j < n) y[4 * b + j] = (int)(((nc_u64)r[j] * (nc_u64)(nc_u32)range) >> 32);
    }
}

NC_EXPORT_KERNEL(philox_forward_kernel);
NC_EXPORT_KERNEL(uniform_forward_kernel);
NC_EXPORT_KERNEL(normal_forward_kernel);
NC_EXPORT_KERNEL(randint_forward_kernel);
