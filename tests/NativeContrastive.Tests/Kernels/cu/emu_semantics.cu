// emu_semantics.cu — kernels that exercise the emulator itself (tests only, not product code):
// barriers, warp intrinsics, atomics, dynamic shared memory, and planted bugs (a missing
// __syncthreads, a divergent barrier, a deadlock, a bad pointer, an out-of-bounds write)
// that the emulator, its fiber orders and the sanitizer builds must expose.
#include "nc_cuda.cuh"

// y[b·n + i] = x[b·n + n−1−i] through shared memory (n = blockDim.x ≤ 1024).
extern "C" __global__ void block_reverse_kernel(const float* x, float* y)
{
    __shared__ float s[1024];
    int n = blockDim.x, base = blockIdx.x * n;
    s[threadIdx.x] = x[base + threadIdx.x];
    __syncthreads();
    y[base + threadIdx.x] = s[n - 1 - threadIdx.x];
}

// The same with the barrier forgotten: a thread may read s[n−1−i] before its owner wrote it.
extern "C" __global__ void block_reverse_racy_kernel(const float* x, float* y)
{
    __shared__ float s[1024];
    int n = blockDim.x, base = blockIdx.x * n;
    s[threadIdx.x] = x[base + threadIdx.x];
    y[base + threadIdx.x] = s[n - 1 - threadIdx.x];
}

// A race between two barriers: each thread rewrites its s[t] while thread n−1−t may be reading
// it, with no barrier between the write and the read. ThreadSanitizer must see it even though
// both barriers are there.
extern "C" __global__ void between_barriers_racy_kernel(const float* x, float* y)
{
    __shared__ float s[1024];
    int n = blockDim.x, t = threadIdx.x, base = blockIdx.x * n;
    s[t] = x[base + t];
    __syncthreads();
    s[t] = 2.f * s[t];
    y[base + t] = s[n - 1 - t];
    __syncthreads();
}

// Per thread t (global g), 10 results: shfl idx from lane (7·lane) mod 32, up 3, down 5, xor 6,
// width-8 idx 2, width-8 down 3, ballot(v odd), any(v = 17), all(v < 1000), and the warp sum.
extern "C" __global__ void warp_ops_kernel(const int* x, int* out)
{
    int g = blockIdx.x * blockDim.x + threadIdx.x, lane = threadIdx.x & 31;
    int v = x[g];
    int* o = out + 10 * g;
    o[0] = __shfl_sync(NC_FULL_MASK, v, (7 * lane) & 31);
    o[1] = __shfl_up_sync(NC_FULL_MASK, v, 3);
    o[2] = __shfl_down_sync(NC_FULL_MASK, v, 5);
    o[3] = __shfl_xor_sync(NC_FULL_MASK, v, 6);
    o[4] = __shfl_sync(NC_FULL_MASK, v, 2, 8);
    o[5] = __shfl_down_sync(NC_FULL_MASK, v, 3, 8);
    o[6] = (int)__ballot_sync(NC_FULL_MASK, v & 1);
    o[7] = __any_sync(NC_FULL_MASK, v == 17);
    o[8] = __all_sync(NC_FULL_MASK, v < 1000);
    o[9] = (int)nc_warp_sum((float)v);
}

// counters[0] += 1 and fsum += 0.5 per thread; counters[1] = max global index; counters[2]
// claimed once by CAS (0 → g + 1).
extern "C" __global__ void atomics_kernel(int* counters, float* fsum)
{
    int g = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(&counters[0], 1);
    atomicMax(&counters[1], g);
    atomicCAS(&counters[2], 0, g + 1);
    atomicAdd(fsum, 0.5f);
}

// out[2·n·b + i] = dynamic smem word i before any write (NaN on the emulator);
// out[2·n·b + n + i] = (i + 1) mod n after a barrier.
extern "C" __global__ void dynamic_smem_kernel(float* out)
{
    NC_DYNAMIC_SMEM(float, s);
    int n = blockDim.x, base = 2 * n * blockIdx.x, i = threadIdx.x;
    out[base + i] = s[i];
    __syncthreads();
    s[i] = (float)i;
    __syncthreads();
    out[base + n + i] = s[(i + 1) % n];
}

// Odd and even threads wait at different __syncthreads: undefined on a GPU, reported here.
extern "C" __global__ void divergent_barrier_kernel(float* out)
{
    if (threadIdx.x & 1) { __syncthreads(); out[threadIdx.x] = 1.f; }
    else { __syncthreads(); out[threadIdx.x] = 2.f; }
}

// Lanes 0–15 wait in a full-mask shuffle for lanes 16–31, which wait at a barrier for them.
extern "C" __global__ void deadlock_kernel(float* out)
{
    if (threadIdx.x < 16) out[threadIdx.x] = __shfl_sync(NC_FULL_MASK, 1.f, 0);
    else __syncthreads();
}

// Writes through whatever pointer it is given (tests pass an invalid one).
extern "C" __global__ void bad_pointer_kernel(float* p)
{
    if (threadIdx.x == 3) p[threadIdx.x] = 1.f;
}

// Writes one element past n (AddressSanitizer must report it).
extern "C" __global__ void out_of_bounds_kernel(float* y, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) y[i] = 1.f;   // bug: should be i < n
}

NC_EXPORT_KERNEL(block_reverse_kernel);
NC_EXPORT_KERNEL(block_reverse_racy_kernel);
NC_EXPORT_KERNEL(between_barriers_racy_kernel);
NC_EXPORT_KERNEL(warp_ops_kernel);
NC_EXPORT_KERNEL(atomics_kernel);
NC_EXPORT_KERNEL(dynamic_smem_kernel);
NC_EXPORT_KERNEL(divergent_barrier_kernel);
NC_EXPORT_KERNEL(deadlock_kernel);
NC_EXPORT_KERNEL(bad_pointer_kernel);
NC_EXPORT_KERNEL(out_of_bounds_kernel);

// Needs about 40 KB of stack per thread (a local array it really uses): overflows a 16 KB
// fiber stack, fits the default 64 KB one.
extern "C" __global__ void deep_stack_kernel(float* out, int n)
{
    volatile float local[10000];
    for (int i = 0; i < 10000; i++) local[i] = (float)(i % n);
    float s = 0.f;
    for (int i = 0; i < 10000; i += 1000) s += local[i];
    out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

NC_EXPORT_KERNEL(deep_stack_kernel);
