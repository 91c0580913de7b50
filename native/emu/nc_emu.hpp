// nc_emu.hpp — CUDA's kernel-side vocabulary for the host C++ compiler (the emu device).
//
// Included by kernels-cu/nc_cuda.cuh when __CUDA_EMU__ is defined. Each CUDA thread runs
// as a fiber of the runtime in nc_emu_runtime.cpp (libnc_emu_rt.so); a block's fibers all
// run on one worker thread, so `__shared__` is a function-local `static thread_local`.
// Built-in variables read the current fiber's record; __syncthreads and the warp
// intrinsics suspend the fiber until the block's (or warp's) other threads arrive.
#pragma once

#include <atomic>
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

typedef unsigned int nc_u32;
typedef int nc_i32;
typedef unsigned long long nc_u64;
typedef long long nc_i64;

struct uint3 { unsigned int x, y, z; };
struct dim3
{
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

#define NC_EMU_API extern "C" __attribute__((visibility("default")))

// What a kernel sees of the CUDA thread it is running as (first member of the runtime's fiber).
struct nc_emu_thread
{
    uint3 tid;
    uint3 bid;
    dim3 bdim;
    dim3 gdim;
    unsigned char* dyn_smem;
};

extern "C" {
__attribute__((visibility("default"))) extern __thread nc_emu_thread* nc_emu_self;
}
typedef void (*nc_emu_body)(void* ctx);
NC_EMU_API void nc_emu_syncthreads(const char* file, int line);
NC_EMU_API unsigned long long nc_emu_warp(int op, unsigned mask, unsigned long long value, int param, int width,
                                          const char* file, int line);
NC_EMU_API unsigned nc_emu_activemask(void);
// cp.async (see nc_mma.cuh): the destination reads NaN from the issue; the copy lands when
// its thread waits for its group.
NC_EMU_API void nc_emu_cp_async(void* dst, const void* src, unsigned bytes, unsigned src_bytes);
NC_EMU_API void nc_emu_cp_async_commit(void);
NC_EMU_API void nc_emu_cp_async_wait(unsigned pending);
// Fails the launch, naming the current thread, the place and what went wrong (it does not stop the thread).
NC_EMU_API void nc_emu_fail(const char* file, int line, const char* what);
NC_EMU_API int nc_emu_run(const char* kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, unsigned smem, nc_emu_body body, void* ctx, nc_emu_body touch_tls);

// The runtime calls this on the worker before a block's fibers start, so that the module's
// thread-local block (where __shared__ arrays live) is allocated by the worker itself and not
// lazily by whichever fiber touches it first (ThreadSanitizer would see that allocation as a
// write racing with the other fibers).
static thread_local char nc_emu_tls_anchor_;
static void nc_emu_touch_tls(void*) { *(volatile char*)&nc_emu_tls_anchor_ = 0; }

// ---- keywords -------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ static thread_local
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
// __restrict__ is understood by g++ itself.

#define threadIdx (nc_emu_self->tid)
#define blockIdx (nc_emu_self->bid)
#define blockDim (nc_emu_self->bdim)
#define gridDim (nc_emu_self->gdim)
#define warpSize 32

#define NC_DYNAMIC_SMEM(T, name) T* name = reinterpret_cast<T*>(nc_emu_self->dyn_smem)

// ---- synchronisation ------------------------------------------------------------------
#define __syncthreads() nc_emu_syncthreads(__FILE__, __LINE__)
#define __threadfence() std::atomic_thread_fence(std::memory_order_seq_cst)
#define __threadfence_block() std::atomic_thread_fence(std::memory_order_seq_cst)

enum nc_emu_warp_op { NC_SHFL_IDX, NC_SHFL_UP, NC_SHFL_DOWN, NC_SHFL_XOR, NC_BALLOT, NC_ANY, NC_ALL, NC_SYNCWARP };

template <class T> inline unsigned long long nc_emu_bits(T v)
{
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp shuffles move at most 8 bytes");
    unsigned long long b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}
template <class T> inline T nc_emu_unbits(unsigned long long b)
{
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}
template <class T>
inline T nc_emu_shfl_at(const char* f, int l, int op, unsigned mask, T v, int param, int width = 32)
{
    return nc_emu_unbits<T>(nc_emu_warp(op, mask, nc_emu_bits(v), param, width, f, l));
}
#define __shfl_sync(...) nc_emu_shfl_at(__FILE__, __LINE__, NC_SHFL_IDX, __VA_ARGS__)
#define __shfl_up_sync(...) nc_emu_shfl_at(__FILE__, __LINE__, NC_SHFL_UP, __VA_ARGS__)
#define __shfl_down_sync(...) nc_emu_shfl_at(__FILE__, __LINE__, NC_SHFL_DOWN, __VA_ARGS__)
#define __shfl_xor_sync(...) nc_emu_shfl_at(__FILE__, __LINE__, NC_SHFL_XOR, __VA_ARGS__)
#define __ballot_sync(mask, pred) ((unsigned)nc_emu_warp(NC_BALLOT, (mask), (pred) ? 1u : 0u, 0, 32, __FILE__, __LINE__))
#define __any_sync(mask, pred) ((int)nc_emu_warp(NC_ANY, (mask), (pred) ? 1u : 0u, 0, 32, __FILE__, __LINE__))
#define __all_sync(mask, pred) ((int)nc_emu_warp(NC_ALL, (mask), (pred) ? 1u : 0u, 0, 32, __FILE__, __LINE__))
inline void nc_emu_syncwarp_at(const char* f, int l, unsigned mask = 0xffffffffu) { nc_emu_warp(NC_SYNCWARP, mask, 0, 0, 32, f, l); }
#define __syncwarp(...) nc_emu_syncwarp_at(__FILE__, __LINE__, ##__VA_ARGS__)
#define __activemask() nc_emu_activemask()

// ---- atomics (blocks run in parallel on the worker pool) ------------------------------
template <class T> inline T nc_emu_atomic_add(T* p, T v) { return std::atomic_ref<T>(*p).fetch_add(v, std::memory_order_relaxed); }
// Floating-point adds as a compare-and-swap loop on the integer bits: libstdc++'s
// atomic_ref<float>::fetch_add goes through the generic __atomic builtins, which
// ThreadSanitizer sees as plain writes (false races).
template <class F, class U> inline F nc_emu_atomic_add_float(F* p, F v)
{
    static_assert(sizeof(F) == sizeof(U));
    std::atomic_ref<U> a(*reinterpret_cast<U*>(p));
    U old = a.load(std::memory_order_relaxed), next;
    F f;
    do
    {
        std::memcpy(&f, &old, sizeof f);
        F sum = f + v;
        std::memcpy(&next, &sum, sizeof next);
    } while (!a.compare_exchange_weak(old, next, std::memory_order_relaxed));
    return f;
}
inline float atomicAdd(float* p, float v) { return nc_emu_atomic_add_float<float, unsigned>(p, v); }
inline double atomicAdd(double* p, double v) { return nc_emu_atomic_add_float<double, unsigned long long>(p, v); }
inline int atomicAdd(int* p, int v) { return nc_emu_atomic_add(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return nc_emu_atomic_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return nc_emu_atomic_add(p, v); }
inline int atomicSub(int* p, int v) { return std::atomic_ref<int>(*p).fetch_sub(v, std::memory_order_relaxed); }
template <class T> inline T atomicExch(T* p, T v) { return std::atomic_ref<T>(*p).exchange(v, std::memory_order_relaxed); }
template <class T> inline T atomicCAS(T* p, T expected, T desired)
{
    std::atomic_ref<T>(*p).compare_exchange_strong(expected, desired, std::memory_order_relaxed);
    return expected; // the old value, as CUDA returns it
}
template <class T> inline T nc_emu_atomic_max(T* p, T v)
{
    std::atomic_ref<T> a(*p);
    T old = a.load(std::memory_order_relaxed);
    while (old < v && !a.compare_exchange_weak(old, v, std::memory_order_relaxed)) {}
    return old;
}
template <class T> inline T nc_emu_atomic_min(T* p, T v)
{
    std::atomic_ref<T> a(*p);
    T old = a.load(std::memory_order_relaxed);
    while (v < old && !a.compare_exchange_weak(old, v, std::memory_order_relaxed)) {}
    return old;
}
inline int atomicMax(int* p, int v) { return nc_emu_atomic_max(p, v); }
inline unsigned atomicMax(unsigned* p, unsigned v) { return nc_emu_atomic_max(p, v); }
inline int atomicMin(int* p, int v) { return nc_emu_atomic_min(p, v); }
inline unsigned atomicMin(unsigned* p, unsigned v) { return nc_emu_atomic_min(p, v); }

// ---- math and bit intrinsics (macros where glibc already declares the name) -----------
inline float nc_emu_bits_to_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned nc_emu_float_to_bits(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
#define __int_as_float(i) nc_emu_bits_to_float((unsigned)(i))
#define __uint_as_float(u) nc_emu_bits_to_float((unsigned)(u))
#define __float_as_uint(f) nc_emu_float_to_bits((float)(f))
#define __float_as_int(f) ((int)nc_emu_float_to_bits((float)(f)))
#define __expf(x) expf(x)
#define __logf(x) logf(x)
#define __sinf(x) sinf(x)
#define __cosf(x) cosf(x)
#define __powf(x, y) powf(x, y)
#define __fdividef(a, b) ((a) / (b))
#define __fadd_rn(a, b) ((float)(a) + (float)(b))
#define __fmul_rn(a, b) ((float)(a) * (float)(b))
#define __fmaf_rn(a, b, c) fmaf(a, b, c)
#define __dadd_rn(a, b) ((double)(a) + (double)(b))
#define __dmul_rn(a, b) ((double)(a) * (double)(b))
#define __ldg(p) (*(p))
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) { return (unsigned long long)(((__uint128_t)a * b) >> 64); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
template <class T> inline T nc_emu_min(T a, T b) { return b < a ? b : a; }
template <class T> inline T nc_emu_max(T a, T b) { return a < b ? b : a; }
inline int min(int a, int b) { return nc_emu_min(a, b); }
inline int max(int a, int b) { return nc_emu_max(a, b); }
inline unsigned min(unsigned a, unsigned b) { return nc_emu_min(a, b); }
inline unsigned max(unsigned a, unsigned b) { return nc_emu_max(a, b); }

// ---- kernel export --------------------------------------------------------------------
// name__emu(grid, block, dynamic smem, void** args): args[i] points at the i-th argument's
// value, exactly as cuLaunchKernel's kernelParams. The values are copied into a tuple of
// the kernel's parameter types and the grid is run by the runtime.
template <class... A> struct nc_emu_call
{
    void (*kernel)(A...);
    std::tuple<std::decay_t<A>...> args;
    static void run(void* self)
    {
        auto* c = static_cast<nc_emu_call*>(self);
        std::apply(c->kernel, c->args);
    }
};
template <class... A, std::size_t... I>
inline std::tuple<std::decay_t<A>...> nc_emu_unpack(void** args, std::index_sequence<I...>)
{
    return std::tuple<std::decay_t<A>...>(*static_cast<std::decay_t<A>*>(args[I])...);
}
template <class... A>
inline int nc_emu_launch(const char* name, void (*kernel)(A...), unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                         unsigned by, unsigned bz, unsigned smem, void** args)
{
    nc_emu_call<A...> call{kernel, nc_emu_unpack<A...>(args, std::index_sequence_for<A...>{})};
    return nc_emu_run(name, gx, gy, gz, bx, by, bz, smem, &nc_emu_call<A...>::run, &call, &nc_emu_touch_tls);
}
#define NC_EXPORT_KERNEL(name)                                                                              \
    NC_EMU_API int name##__emu(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
                               unsigned smem, void** args)                                                  \
    {                                                                                                       \
        return nc_emu_launch(#name, &name, gx, gy, gz, bx, by, bz, smem, args);                             \
    }                                                                                                       \
    struct nc_export_##name##_
