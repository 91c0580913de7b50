// reduction.cu — sums: whole tensor (two passes, deterministic; plain or of squares), row
// sums (a warp per row), column sums (a 32×8 block per 32 columns), and the broadcasts that
// are their gradients (a column or a row vector spread over a matrix). Warp shuffles within
// a warp, shared memory across warps. No atomics: the same input gives the same bits on
// every run.
// Launch configuration: ReductionKernels.cs.
#include "nc_cuda.cuh"

// Sum of v over the whole block (blockDim.x a multiple of 32). Valid in warp 0 only.
// warp_sums: 32 floats of shared memory; the function is called once per kernel.
__device__ __forceinline__ float nc_block_sum(float v, float* warp_sums)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = nc_warp_sum(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    int nwarps = blockDim.x >> 5;
    if (warp == 0) v = nc_warp_sum(lane < nwarps ? warp_sums[lane] : 0.f);
    return v;
}

// out[blockIdx.x] = scale · Σ x[i] over the indices i this block's grid-stride loop visits.
// Pass 1: many blocks into partial sums; pass 2: one block over the partials
// (scale = 1/n gives the mean).
extern "C" __global__ void sum_forward_kernel(const float* __restrict__ x, float* __restrict__ out, long long n, float scale)
{
    __shared__ float warp_sums[32];
    float v = 0.f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) v += x[i];
    v = nc_block_sum(v, warp_sums);
    if (threadIdx.x == 0) out[blockIdx.x] = scale * v;
}

// out[blockIdx.x] = Σ x[i]² over this block's grid-stride indices: pass 1 of Σ x² (LARS trust
// ratios, gradient norms); pass 2 is sum_forward_kernel over the partials.
extern "C" __global__ void sum_of_squares_forward_kernel(const float* __restrict__ x, float* __restrict__ out, long long n)
{
    __shared__ float warp_sums[32];
    float v = 0.f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        v = fmaf(x[i], x[i], v);
    v = nc_block_sum(v, warp_sums);
    if (threadIdx.x == 0) out[blockIdx.x] = v;
}

// y[r] = scale · Σ_c x[r, c] for a row-major [rows, cols] x: one warp per row, lanes stride
// the row (coalesced), then a butterfly shuffle.
extern "C" __global__ void row_sum_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int rows, int cols, float scale)
{
    int warps_per_block = blockDim.x >> 5;
    int row = blockIdx.x * warps_per_block + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;   // the whole warp leaves together
    const float* xr = x + (long long)row * cols;
    float v = 0.f;
    for (int c = lane; c < cols; c += 32) v += xr[c];
    v = nc_warp_sum(v);
    if (lane == 0) y[row] = scale * v;
}

// y[c] = scale · Σ_r x[r, c]: block (32, 8) owns 32 columns; thread (tx, ty) sums rows
// ty, ty + 8, … of column c (consecutive tx read consecutive addresses), then the 8 partial
// sums of a column are added through shared memory. Threads past the last column still
// reach the barrier.
extern "C" __global__ void col_sum_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int rows, int cols, float scale)
{
    __shared__ float partial[8][33];   // +1 column: no bank conflicts on the transposed read
    int c = blockIdx.x * 32 + threadIdx.x;
    float v = 0.f;
    if (c < cols)
        for (int r = threadIdx.y; r < rows; r += blockDim.y) v += x[(long long)r * cols + c];
    partial[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols)
    {
        float s = 0.f;
        for (int k = 0; k < (int)blockDim.y; k++) s += partial[k][threadIdx.x];
        y[c] = scale * s;
    }
}

// y[r, c] = alpha · v[r]   (broadcast a column vector over cols columns: backward of row sums).
// One thread per output element, grid-stride; n = rows · cols.
extern "C" __global__ void broadcast_column_forward_kernel(const float* __restrict__ v, float alpha, float* __restrict__ y,
                                                           long long n, int cols)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = alpha * v[i / cols];
}

// y[r, c] = alpha · v[c]   (broadcast a row vector over the rows: backward of column sums).
extern "C" __global__ void broadcast_row_forward_kernel(const float* __restrict__ v, float alpha, float* __restrict__ y,
                                                        long long n, int cols)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = alpha * v[i % cols];
}

NC_EXPORT_KERNEL(sum_forward_kernel);
NC_EXPORT_KERNEL(sum_of_squares_forward_kernel);
NC_EXPORT_KERNEL(row_sum_forward_kernel);
NC_EXPORT_KERNEL(col_sum_forward_kernel);
NC_EXPORT_KERNEL(broadcast_column_forward_kernel);
NC_EXPORT_KERNEL(broadcast_row_forward_kernel);
