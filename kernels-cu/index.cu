// index.cu — row gather and scatter-add: the memory bank's read (NPID's B×(m+1) sampled
// rows) and the gradient of that read. An index outside [0, rows) is skipped (gather writes 0)
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

NC_EXPORT_KERNEL(gather_rows_forward_kernel);
NC_EXPORT_KERNEL(scatter_add_rows_forward_kernel);
