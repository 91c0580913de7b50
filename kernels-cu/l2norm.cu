// l2norm.cu — rows scaled to unit length (F.normalize): y = x / max(‖x‖₂, eps), and its
// gradient. A warp per row. norms[r] keeps the denominator max(‖x_r‖₂, eps) for backward.
// Launch configuration: L2NormKernels.cs.
#include "nc_cuda.cuh"

// y[r, :] = x[r, :] / n_r,  n_r = max(√Σ_c x[r, c]², eps),  norms[r] = n_r.
// Invariant: ‖y[r, :]‖₂ = 1 whenever ‖x[r, :]‖₂ ≥ eps.
extern "C" __global__ void l2_normalize_forward_kernel(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ norms,
                                                       int rows, int cols, float eps)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    long long o = (long long)row * cols;
    float ss = 0.f;
    for (int c = lane; c < cols; c += 32) ss += x[o + c] * x[o + c];
    ss = nc_warp_sum(ss);
    float n = fmaxf(sqrtf(ss), eps);
    if (lane == 0) norms[row] = n;
    float inv = 1.f / n;
    for (int c = lane; c < cols; c += 32) y[o + c] = x[o + c] * inv;
}

// dx[r, :] = (dy[r, :] − y[r, :] · ⟨dy[r, :], y[r, :]⟩) / n_r — the component of dy tangent to
// the sphere at y, divided by the norm (rows whose norm was clamped to eps are treated the
// same way, as the cpu backend does).
extern "C" __global__ void l2_normalize_backward_kernel(const float* __restrict__ y, const float* __restrict__ norms,
                                                        const float* __restrict__ dy, float* __restrict__ dx, int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    long long o = (long long)row * cols;
    float d = 0.f;
    for (int c = lane; c < cols; c += 32) d += y[o + c] * dy[o + c];
    d = nc_warp_sum(d);
    float inv = 1.f / norms[row];
    for (int c = lane; c < cols; c += 32) dx[o + c] = (dy[o + c] - y[o + c] * d) * inv;
}

NC_EXPORT_KERNEL(l2_normalize_forward_kernel);
NC_EXPORT_KERNEL(l2_normalize_backward_kernel);
