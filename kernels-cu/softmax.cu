// softmax.cu — row-wise log-softmax, cross-entropy with hard targets (fused with the
// log-softmax), per-row picks (the NLL of a log-softmax at the target column) and the
// diagonal mask of similarity matrices (NT-Xent's self-pairs).
// A warp per row for the row kernels: lanes stride the row, shuffles combine.
// Launch configuration: SoftmaxKernels.cs.
#include "nc_cuda.cuh"

// log Σ_c exp(x[c]) of one row, computed by the calling warp: m = max, then
// m + log Σ exp(x − m) so that no exp overflows. Every lane gets the result.
__device__ __forceinline__ float nc_row_logsumexp(const float* xr, int cols, int lane)
{
    float m = -INFINITY;
    for (int c = lane; c < cols; c += 32) m = fmaxf(m, xr[c]);
    m = nc_warp_max(m);
    float s = 0.f;
    for (int c = lane; c < cols; c += 32) s += expf(xr[c] - m);
    s = nc_warp_sum(s);
    return m + logf(s);
}

// y[r, c] = x[r, c] − log Σ_c' exp(x[r, c']).  Invariant: Σ_c exp(y[r, c]) = 1.
extern "C" __global__ void log_softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float* xr = x + (long long)row * cols;
    float lse = nc_row_logsumexp(xr, cols, lane);
    float* yr = y + (long long)row * cols;
    for (int c = lane; c < cols; c += 32) yr[c] = xr[c] - lse;
}

// dx[r, c] = dy[r, c] − exp(y[r, c]) · Σ_c' dy[r, c']   (y = log-softmax output)
extern "C" __global__ void log_softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                                       float* __restrict__ dx, int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    long long o = (long long)row * cols;
    float s = 0.f;
    for (int c = lane; c < cols; c += 32) s += dy[o + c];
    s = nc_warp_sum(s);
    for (int c = lane; c < cols; c += 32) dx[o + c] = dy[o + c] - expf(y[o + c]) * s;
}

// loss[r] = log Σ_c exp(x[r, c]) − x[r, t_r]  (−log softmax at the target); t_r < 0 marks an
// ignored row: loss 0. Targets must be < cols (checked by the launcher's caller).
extern "C" __global__ void cross_entropy_forward_kernel(const float* __restrict__ x, const int* __restrict__ targets,
                                                        float* __restrict__ loss, int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    int t = targets[row];
    const float* xr = x + (long long)row * cols;
    float lse = nc_row_logsumexp(xr, cols, lane);
    if (lane == 0) loss[row] = t < 0 ? 0.f : lse - xr[t];
}

// dx[r, c] = dloss[r] · (softmax(x)[r, c] − [c = t_r]); ignored rows (t_r < 0) get 0.
extern "C" __global__ void cross_entropy_backward_kernel(const float* __restrict__ x, const int* __restrict__ targets,
                                                         const float* __restrict__ dloss, float* __restrict__ dx, int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    int t = targets[row];
    long long o = (long long)row * cols;
    if (t < 0)
    {
        for (int c = lane; c < cols; c += 32) dx[o + c] = 0.f;
        return;
    }
    float lse = nc_row_logsumexp(x + o, cols, lane);
    float g = dloss[row];
    for (int c = lane; c < cols; c += 32) dx[o + c] = g * (expf(x[o + c] - lse) - (c == t ? 1.f : 0.f));
}

// y[r, c] = (r = c) ? value : x[r, c]   (value = −inf or a large negative number removes
// self-similarity from a softmax). In place allowed.
extern "C" __global__ void mask_diagonal_forward_kernel(const float* x, float* y, int rows, int cols, float value)
{
    long long n = (long long)rows * cols;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = (i / cols == i % cols) ? value : x[i];
}

// dx[r, c] = (r = c) ? 0 : dy[r, c]
extern "C" __global__ void mask_diagonal_backward_kernel(const float* dy, float* dx, int rows, int cols)
{
    long long n = (long long)rows * cols;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        dx[i] = (i / cols == i % cols) ? 0.f : dy[i];
}

// y[r] = x[r, idx[r]]: one thread per row. A column outside [0, cols) gives NaN and is
// reported through err (code 3) for the host to raise.
extern "C" __global__ void pick_per_row_forward_kernel(const float* __restrict__ x, const int* __restrict__ idx,
                                                       float* __restrict__ y, int rows, int cols, int* err)
{
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x)
    {
        int t = idx[r];
        if ((unsigned)t >= (unsigned)cols)
        {
            nc_report_bad_index(err, 3, r, t, cols);
            y[r] = NAN;
            continue;
        }
        y[r] = x[(long long)r * cols + t];
    }
}

// dx[r, c] = (c = idx[r]) ? dy[r] : 0 — the zeroing and the scatter in one pass, one thread per
// element of dx, so no element is written twice. A bad column leaves the row zero (code 4).
extern "C" __global__ void pick_per_row_backward_kernel(const float* __restrict__ dy, const int* __restrict__ idx,
                                                        float* __restrict__ dx, int rows, int cols, int* err)
{
    long long n = (long long)rows * cols;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
    {
        long long r = e / cols, c = e - r * cols;
        int t = idx[r];
        if (c == 0 && (unsigned)t >= (unsigned)cols) nc_report_bad_index(err, 4, r, t, cols);
        dx[e] = c == t ? dy[r] : 0.f;
    }
}

NC_EXPORT_KERNEL(log_softmax_forward_kernel);
NC_EXPORT_KERNEL(log_softmax_backward_kernel);
NC_EXPORT_KERNEL(cross_entropy_forward_kernel);
NC_EXPORT_KERNEL(cross_entropy_backward_kernel);
NC_EXPORT_KERNEL(mask_diagonal_forward_kernel);
NC_EXPORT_KERNEL(mask_diagonal_backward_kernel);
NC_EXPORT_KERNEL(pick_per_row_forward_kernel);
NC_EXPORT_KERNEL(pick_per_row_backward_kernel);
