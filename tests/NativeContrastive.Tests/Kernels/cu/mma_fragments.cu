// mma_fragments.cu — test kernels for nc_mma.cuh: one warp builds the PTX-ISA fragments of a
// single m16n8k8 tf32 / m16n8k16 bf16 mma from row-major A [16×KD], B [KD×8], C [16×8], runs it
// and scatters D back by the C-fragment layout; and elementwise tf32 / bf16 rounding.
#include "nc_cuda.cuh"
#include "nc_mma.cuh"

// One warp: D = C + round_tf32(A)·round_tf32(B), A [16×8], B [8×8] row-major.
extern "C" __global__ void mma_tf32_fragments_kernel(const float* a, const float* b, const float* c, float* d)
{
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    unsigned af[4] = {__float_as_uint(nc_tf32_round(a[g * 8 + t])), __float_as_uint(nc_tf32_round(a[(g + 8) * 8 + t])),
                      __float_as_uint(nc_tf32_round(a[g * 8 + t + 4])), __float_as_uint(nc_tf32_round(a[(g + 8) * 8 + t + 4]))};
    unsigned bf[2] = {__float_as_uint(nc_tf32_round(b[t * 8 + g])), __float_as_uint(nc_tf32_round(b[(t + 4) * 8 + g]))};
    float acc[4] = {c[g * 8 + 2 * t], c[g * 8 + 2 * t + 1], c[(g + 8) * 8 + 2 * t], c[(g + 8) * 8 + 2 * t + 1]};
    nc_mma_tf32_m16n8k8(acc, af, bf);
    d[g * 8 + 2 * t] = acc[0];
    d[g * 8 + 2 * t + 1] = acc[1];
    d[(g + 8) * 8 + 2 * t] = acc[2];
    d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}

// One warp: D = C + round_bf16(A)·round_bf16(B), A [16×16], B [16×8] row-major.
extern "C" __global__ void mma_bf16_fragments_kernel(const float* a, const float* b, const float* c, float* d)
{
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    unsigned af[4] = {nc_bf16x2_pack(a[g * 16 + 2 * t], a[g * 16 + 2 * t + 1]),
                      nc_bf16x2_pack(a[(g + 8) * 16 + 2 * t], a[(g + 8) * 16 + 2 * t + 1]),
                      nc_bf16x2_pack(a[g * 16 + 2 * t + 8], a[g * 16 + 2 * t + 9]),
                      nc_bf16x2_pack(a[(g + 8) * 16 + 2 * t + 8], a[(g + 8) * 16 + 2 * t + 9])};
    unsigned bf[2] = {nc_bf16x2_pack(b[2 * t * 8 + g], b[(2 * t + 1) * 8 + g]),
                      nc_bf16x2_pack(b[(2 * t + 8) * 8 + g], b[(2 * t + 9) * 8 + g])};
    float acc[4] = {c[g * 8 + 2 * t], c[g * 8 + 2 * t + 1], c[(g + 8) * 8 + 2 * t], c[(g + 8) * 8 + 2 * t + 1]};
    nc_mma_bf16_m16n8k16(acc, af, bf);
    d[g * 8 + 2 * t] = acc[0];
    d[g * 8 + 2 * t + 1] = acc[1];
    d[(g + 8) * 8 + 2 * t] = acc[2];
    d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}

// A misuse the emulator must report: lanes 16..31 leave before the warp-collective mma, whose
// fragments they hold (on a GPU the result would be undefined).
extern "C" __global__ void mma_half_warp_kernel(float* d)
{
    if ((threadIdx.x & 31) >= 16) return;
    unsigned af[4] = {0x3f800000u, 0x3f800000u, 0x3f800000u, 0x3f800000u}, bf[2] = {0x3f800000u, 0x3f800000u};
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    nc_mma_tf32_m16n8k8(acc, af, bf);
    d[threadIdx.x] = acc[0];
}

// out[i] = nc_tf32_round(x[i]), out[n + i] = nc_bf16_round(x[i]).
extern "C" __global__ void mma_round_kernel(const float* x, float* out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        out[i] = nc_tf32_round(x[i]);
        out[n + i] = nc_bf16_round(x[i]);
    }
}

NC_EXPORT_KERNEL(mma_tf32_fragments_kernel);
NC_EXPORT_KERNEL(mma_bf16_fragments_kernel);
NC_EXPORT_KERNEL(mma_round_kernel);
NC_EXPORT_KERNEL(mma_half_warp_kernel);
