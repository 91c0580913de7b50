// index.cu — row gather and scatter-add: the memory bank's read (NPID's B×(m+1) sampled
// rows) and the gradient of that read; the bank's momentum update. An index outside [0, rows) is skipped (gather writes 0)
// and reported through err (nc_report_bad_index) so that the host raises it at its next
// synchronisation instead of the kernel touching memory it does not own.
// Launch configuration: IndexKernels.cs.
#include "nc_cuda.cuh"

// dst[i, c] = src[idx[i], c]   for i < count, c < cols, idx[i] < src_rows (one thread per
// element, coalesced in c).
extern "C" __global__ void gather_rows_forward_kernel(const float* __restrict__ src, const int* __restrict__ idx,
                                                      float* __restrict__ dst, int count, int cols, int src_rows, int* err)
{
    long long n = (long long)count * cols;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
    {
        long long i = e / cols, c = e % cols;
        int j = idx[i];
        if ((unsigned)j >= (unsigned)src_rows)
        {
            if (c == 0) nc_report_bad_index(err, 1, i, j, src_rows);
            dst[e] = 0.f;
            continue;
        }
        dst[e] = src[(long long)j * cols + c];
    }
}

// dst[idx[i], c] += src[i, c]   — repeated indices accumulate (atomicAdd), so the order of the
// additions, and with it the last bits of a sum, may differ between runs.
extern "C" __global__ void scatter_add_rows_forward_kernel(const float* __restrict__ src, const int* __restrict__ idx, float* dst,
                                                           int count, int cols, int dst_rows, int* err)
{
    long long n = (long long)count * cols;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
    {
        long long i = e / cols, c = e % cols;
        int j = idx[i];
        if ((unsigned)j >= (unsigned)dst_rows)
        {
            if (c == 0) nc_report_bad_index(err, 2, i, j, dst_rows);
            continue;
        }
        atomicAdd(&dst[(long long)j * cols + c], src[e]);
    }
}

// NPID memory-bank update (Wu et al. 2018, §3.2), entry i = one warp, j = idx[i]:
//   v = m·bank[j, :] + (1 − m)·f[i, :];   bank[j, :] = v / max(‖v‖₂, 1e-12),
// from the bank as it was before the launch. Duplicate indices: only the last entry with a
// given j (the largest i, as index_copy_ and the cpu reference) writes. Each warp finds out
// whether it is that entry by scanning idx[i+1 ..) for j (lanes stride, one vote): O(count²/32)
// loads in all, ~0.3 M for count = 4096, cheaper than clearing a winner table of N bank rows,
// and it needs no scratch memory and no atomics. Since exactly one warp writes row j and it
// reads the row before writing it, the result is deterministic and independent of block order.
// An index outside [0, bank_rows) is skipped and reported (code 5).
extern "C" __global__ void momentum_update_rows_forward_kernel(float* __restrict__ bank, const int* __restrict__ idx,
                                                               const float* __restrict__ features, int count, int cols,
                                                               int bank_rows, float momentum, int* err)
{
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (i >= count) return;
    int j = idx[i];
    if ((unsigned)j >= (unsigned)bank_rows)
    {
        if (lane == 0) nc_report_bad_index(err, 5, i, j, bank_rows);
        return;
    }
    bool overwritten = false;
    for (int t = i + 1 + lane; t < count; t += 32) overwritten |= idx[t] == j;
    if (__any_sync(NC_FULL_MASK, overwritten)) return;

    // Pass 1 writes v and accumulates ‖v‖²; pass 2 rescales: each lane touches only its own
    // columns, so no barrier is needed between the passes.
    float* b = bank + (long long)j * cols;
    const float* f = features + (long long)i * cols;
    float ss = 0.f;
    for (int c = lane; c < cols; c += 32)
    {
        float v = momentum * b[c] + (1.f - momentum) * f[c];
        b[c] = v;
        ss += v * v;
    }
    float norm = fmaxf(sqrtf(nc_warp_sum(ss)), 1e-12f);
    for (int c = lane; c < cols; c += 32) b[c] = b[c] / norm;
}

NC_EXPORT_KERNEL(gather_rows_forward_kernel);
NC_EXPORT_KERNEL(scatter_add_rows_forward_kernel);
NC_EXPORT_KERNEL(momentum_update_rows_forward_kernel);
