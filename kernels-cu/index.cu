// index.cu — row gather and scatter-add: the memory bank's read (NPID's B×(m+1) sampled
// rows) and the gradient of that read. Indices must address existing rows; the launcher's
// caller checks them on the host (a kernel cannot report a bad index).
// Launch configuration: IndexKernels.cs.
#include "nc_cuda.cuh"

// dst[i, c] = src[idx[i], c]   for i < count, c < cols (one thread per element, coalesced in c).
extern "C" __global__ void gather_rows_forward_kernel(const float* __restrict__ src, const int* __restrict__ idx,
                                                      float* __restrict__ dst, int count, int cols)
{
    long long n = (long long)count * cols;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
    {
        long long i = e / cols, c = e % cols;
        dst[e] = src[(long long)idx[i] * cols + c];
    }
}

// dst[idx[i], c] += src[i, c]   — repeated indices accumulate (atomicAdd), so the order of the
// additions, and with it the last bits of a sum, may differ between runs.
extern "C" __global__ void scatter_add_rows_forward_kernel(const float* __restrict__ src, const int* __restrict__ idx, float* dst,
                                                           int count, int cols)
{
    long long n = (long long)count * cols;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
    {
        long long i = e / cols, c = e % cols;
        atomicAdd(&dst[(long long)idx[i] * cols + c], src[e]);
    }
}

NC_EXPORT_KERNEL(gather_rows_forward_kernel);
NC_EXPORT_KERNEL(scatter_add_rows_forward_kernel);
