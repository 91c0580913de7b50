// nc_cuda.cuh — the one portability header every kernels-cu/*.cu includes first.
//
// One source serves two compilers:
//   * NVRTC (cuda device): __CUDACC_RTC__ is defined; there are no CUDA or C headers, so
//     the few constants the kernels need (INFINITY, FLT_MAX, fixed-width integer types)
//     are defined here, and the emulation hooks expand to their CUDA meaning.
//   * the host C++ compiler (emu device, scripts/build-emu.sh passes -D__CUDA_EMU__ and
//     -Inative/emu): CUDA's keywords, built-in variables, warp intrinsics and atomics are
//     provided by native/emu/nc_emu.hpp, which runs each CUDA thread as a fiber.
//
// Kernel code uses only what is defined here plus plain C++17:
//   NC_DYNAMIC_SMEM(T, name)   a T* over the block's dynamic shared memory
//   NC_EXPORT_KERNEL(name)     once per kernel at file end; the emu entry point name__emu
#pragma once

#if defined(__CUDACC_RTC__) || defined(__CUDACC__)

typedef unsigned int nc_u32;
typedef int nc_i32;
typedef unsigned long long nc_u64;
typedef long long nc_i64;

#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif
#ifndef FLT_MAX
#define FLT_MAX 3.402823466e+38f
#endif

// Dynamic shared memory: one untyped extern array per kernel, viewed as T.
#define NC_DYNAMIC_SMEM(T, name) \
    extern __shared__ __align__(16) unsigned char nc_dynamic_smem_[]; \
    T* name = reinterpret_cast<T*>(nc_dynamic_smem_)

// Nothing to export under NVRTC: cuModuleGetFunction finds the extern "C" kernel itself.
// A struct declaration absorbs the trailing semicolon.
#define NC_EXPORT_KERNEL(name) struct nc_export_##name##_

#elif defined(__CUDA_EMU__)

#include "nc_emu.hpp"

#else
#error "nc_cuda.cuh: compile with NVRTC, or with the host compiler and -D__CUDA_EMU__ (scripts/build-emu.sh)"
#endif

// Helpers shared by every family.
#define NC_WARP_SIZE 32
#define NC_FULL_MASK 0xffffffffu

// Sum of v over the 32 lanes of a warp (all lanes must call it). Butterfly: after the
// xor-shuffle with offset o, each lane holds the sum of its aligned group of 2o lanes.
__device__ __forceinline__ float nc_warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(NC_FULL_MASK, v, o);
    return v;
}

// max(v, 0) with NaN kept NaN, as PyTorch's ReLU and the cpu backend's (TensorPrimitives.Max
// propagates NaN); fmaxf(v, 0) would turn NaN into 0 and hide a diverged run on the device only.
__device__ __forceinline__ float nc_relu(float v)
{
    return v > 0.f ? v : (v != v ? v : 0.f);
}

// bf16 storage (a Bf16Tensor: the upper 16 bits of an fp32 value). Widening is exact, so a kernel
// that reads activations through nc_load_f32 computes in fp32 whichever type they are stored in.
__device__ __forceinline__ float nc_bf16_to_float(unsigned short bits) { return __uint_as_float((unsigned)bits << 16); }
// v rounded to bf16, nearest even, as its 16 bits; NaN becomes the canonical 0x7fff and finite values
// past the largest bf16 become ±∞ (the cvt.rn.bf16x2.f32 of nc_mma.cuh and the cpu's PrecisionRounding.Bf16Bits).
__device__ __forceinline__ unsigned short nc_float_to_bf16(float v)
{
    unsigned u = __float_as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)0x7fffu;
    return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
__device__ __forceinline__ float nc_load_f32(const float* p, int i) { return p[i]; }
__device__ __forceinline__ float nc_load_f32(const unsigned short* p, int i) { return nc_bf16_to_float(p[i]); }
// The other way: an fp32 result stored as fp32, or rounded (nearest even) and stored as bf16 bits.
__device__ __forceinline__ void nc_store_f32(float* p, int i, float v) { p[i] = v; }
__device__ __forceinline__ void nc_store_f32(unsigned short* p, int i, float v) { p[i] = nc_float_to_bf16(v); }

// Maximum of v over the 32 lanes of a warp (all lanes must call it).
__device__ __forceinline__ float nc_warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(NC_FULL_MASK, v, o));
    return v;
}

// Online log-sum-exp (contrastive.cu, sinkhorn.cu): the state (m, s) stands for log Σ exp = m + log s, with m the largest
// term seen. Two states over disjoint sets merge exactly by rescaling both sums to the larger
// maximum. An empty state is (−inf, 0); merging two empty states must not compute
// exp(−inf − (−inf)) = NaN, hence the early return.
__device__ __forceinline__ void nc_lse_merge(float& m, float& s, float m2, float s2)
{
    float mm = fmaxf(m, m2);
    if (mm == -INFINITY) return;
    s = s * expf(m - mm) + s2 * expf(m2 - mm);
    m = mm;
}

// Records the first out-of-range index a kernel meets, for kernels that take row or column
// indices (gather, scatter, per-row picks). A kernel cannot throw: it skips the bad index and
// leaves {code, position, value, limit} in err[0..3] (err[0] = 0: nothing recorded), which the
// host reads at its next synchronisation and turns into an exception naming the primitive.
// Only the first report is kept (atomicCAS on the code). err may be null (no reporting).
__device__ __forceinline__ void nc_report_bad_index(int* err, int code, long long position, int value, int limit)
{
    if (err != nullptr && atomicCAS(err, 0, code) == 0)
    {
        err[1] = (int)position;
        err[2] = value;
        err[3] = limit;
    }
}
