// mma_fragments.cu — test kernels for nc_mma.cuh: one warp builds the PTX-ISA fragments of a
// single m16n8k8 tf32 / m16n8k16 bf16 mma from row-major A [16×KD], B [KD×8], C [16×8], runs it
// and scatters D back by the C-fragment layout; elementwise tf32 / bf16 rounding; ldmatrix.x4 from
// a row-padded shared tile; and cp.async with zero fill and commit/wait groups.
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

// One warp: tile rows of `stride` words (stride ≥ 4; a multiple of 4 keeps rows 16-byte aligned),
// lane l gives row l (row l%8 of matrix l/8), out[l·4 + q] = its register q of ldmatrix.x4.
extern "C" __global__ void ldmatrix_x4_kernel(const unsigned* src, unsigned* out, int stride)
{
    __shared__ __align__(16) unsigned tile[32 * 24 + 1];
    int lane = threadIdx.x & 31;
    for (int i = lane; i < 32 * stride; i += 32) tile[i] = src[i];
    __syncthreads();
    unsigned r[4];
    nc_ldmatrix_x4(r, &tile[lane * stride]);
    for (int q = 0; q < 4; q++) out[lane * 4 + q] = r[q];
}

// 128 threads. Group 0 copies src[0..128) into s0, zero-filled where t % 3 == 0; group 1 copies
// src[128..256) into s1. After waiting for all but the newest group, out[t] reads another
// thread's s0 element; after waiting for everything, out[128 + t] reads another thread's s1.
extern "C" __global__ void cp_async_groups_kernel(const float* src, float* out)
{
    __shared__ __align__(16) float s0[128], s1[128];
    int t = threadIdx.x;
    s0[t] = __int_as_float(0x7fc00000);   // NaN: a zero fill that does not happen shows
    s1[t] = __int_as_float(0x7fc00000);
    __syncthreads();
    nc_cp_async4(&s0[t], src + t, t % 3 != 0);
    nc_cp_async_commit();
    nc_cp_async4(&s1[t], src + 128 + t, true);
    nc_cp_async_commit();
    nc_cp_async_wait<1>();
    __syncthreads();
    out[t] = s0[(t + 1) % 128];
    nc_cp_async_wait<0>();
    __syncthreads();
    out[128 + t] = s1[(t + 5) % 128];
}

// Emulator only (on a GPU out[t] is undefined): out[t] = s[t] read before the wait (NaN on emu,
// which poisons the destination at the issue and lands the copy at the thread's wait),
// out[32 + t] = s[t] after it (src[t]).
extern "C" __global__ void cp_async_read_before_wait_kernel(const float* src, float* out)
{
    __shared__ __align__(16) float s[32];
    int t = threadIdx.x;
    s[t] = -1.f;
    nc_cp_async4(&s[t], src + t, true);
    nc_cp_async_commit();
    out[t] = s[t];
    nc_cp_async_wait<0>();
    out[32 + t] = s[t];
}

// A planted write-after-read race (emulator only): warp 0 begins to refill s while warp 1 is
// still reading it, with no barrier between the reads and the issue. A correct ring puts a
// __syncthreads after the last read of a stage and before any copy into it. On emu the reads
// that come after the issue see the poison (NaN), the others the old -1; none sees the copy,
// which lands at the wait. In forward fiber order warp 0 runs ahead, so most reads see NaN.
extern "C" __global__ void cp_async_refill_while_read_kernel(const float* src, float* out)
{
    __shared__ __align__(16) float s[32];
    int t = threadIdx.x;
    if (t < 32) s[t] = -1.f;
    __syncthreads();
    if (t < 32)
    {
        nc_cp_async4(&s[t], src + t, true);   // the bug: warp 1 has not read s yet
        nc_cp_async_commit();
    }
    if (t >= 32) out[t - 32] = s[t - 32];
    __syncthreads();
    if (t < 32) nc_cp_async_wait<0>();
    __syncthreads();
}

// A misuse the emulator must report: a copy never waited for.
extern "C" __global__ void cp_async_unwaited_kernel(const float* src)
{
    __shared__ __align__(16) float s[32];
    nc_cp_async4(&s[threadIdx.x], src + threadIdx.x, true);
    nc_cp_async_commit();
}

NC_EXPORT_KERNEL(mma_tf32_fragments_kernel);
NC_EXPORT_KERNEL(mma_bf16_fragments_kernel);
NC_EXPORT_KERNEL(mma_round_kernel);
NC_EXPORT_KERNEL(mma_half_warp_kernel);
NC_EXPORT_KERNEL(ldmatrix_x4_kernel);
NC_EXPORT_KERNEL(cp_async_groups_kernel);
NC_EXPORT_KERNEL(cp_async_read_before_wait_kernel);
NC_EXPORT_KERNEL(cp_async_refill_while_read_kernel);
NC_EXPORT_KERNEL(cp_async_unwaited_kernel);
