// pool.cu — 2-D max pooling with argmax, and global average pooling, over NCHW tensors viewed
// as planes = N·C images of H×W (PoolShape, as Pool2dGeometry: window kernel×kernel, stride,
// pad, output P×Q with P = (H + 2·pad − kernel)/stride + 1).
//   max-pool forward   a thread per output element; the window is scanned row by row and the
//                      first maximum wins (padding is −∞: only in-image pixels compete).
//   max-pool backward  a gather: a thread per input pixel adds dy of the windows whose winner it
//                      is, in ascending output order — no atomics, no separate zeroing of dx, and
//                      the same sum in the same order as the cpu backend's scatter.
//   global average     a warp per plane (forward), a thread per element (backward).
// Launch configuration: PoolKernels.cs. Indices are 32-bit (the launcher checks sizes < 2³¹).
#include "nc_cuda.cuh"

// y[plane, p, q] = max over the in-image pixels of the window at (p·stride − pad, q·stride − pad);
// argmax[plane, p, q] = h·W + w of the first maximum in row-major window order (−1 if the window
// holds no pixel). A NaN is kept only when it is the window's first pixel, as the cpu backend's
// `v > best || arg < 0`.
extern "C" __global__ void maxpool2d_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int* __restrict__ argmax,
                                                    int planes, int H, int W, int P, int Q, int kernel, int stride, int pad)
{
    int count = planes * P * Q;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < count; e += gridDim.x * blockDim.x)
    {
        int plane = e / (P * Q), pq = e - plane * (P * Q), p = pq / Q, q = pq - p * Q;
        int h0 = p * stride - pad, w0 = q * stride - pad;
        const float* xp = x + plane * H * W;
        float best = -INFINITY;
        int arg = -1;
        for (int h = max(h0, 0); h < min(h0 + kernel, H); h++)
            for (int w = max(w0, 0); w < min(w0 + kernel, W); w++)
            {
                float v = xp[h * W + w];
                if (v > best || arg < 0) { best = v; arg = h * W + w; }
            }
        y[e] = best;
        argmax[e] = arg;
    }
}

// dx[plane, h, w] = Σ dy[plane, p, q] over the windows (p, q) that contain (h, w) and whose
// argmax is h·W + w, in ascending (p, q). Window p contains row h iff
// p·stride − pad ≤ h < p·stride − pad + kernel, i.e. p ∈ [⌈(h + pad − kernel + 1)/stride⌉, ⌊(h + pad)/stride⌋].
extern "C" __global__ void maxpool2d_backward_kernel(const float* __restrict__ dy, const int* __restrict__ argmax, float* __restrict__ dx,
                                                     int planes, int H, int W, int P, int Q, int kernel, int stride, int pad)
{
    int count = planes * H * W;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < count; e += gridDim.x * blockDim.x)
    {
        int plane = e / (H * W), hw = e - plane * (H * W), h = hw / W, w = hw - h * W;
        int hp = h + pad, wp = w + pad;
        int p_lo = hp >= kernel ? (hp - kernel) / stride + 1 : 0, p_hi = min(hp / stride, P - 1);
        int q_lo = wp >= kernel ? (wp - kernel) / stride + 1 : 0, q_hi = min(wp / stride, Q - 1);
        const float* dyp = dy + plane * P * Q;
        const int* ap = argmax + plane * P * Q;
        float s = 0.f;
        for (int p = p_lo; p <= p_hi; p++)
            for (int q = q_lo; q <= q_hi; q++)
                if (ap[p * Q + q] == hw) s += dyp[p * Q + q];
        dx[e] = s;
    }
}

// y[plane] = (Σ_j x[plane, j]) · inv_hw: a warp per plane, lanes striding the plane (coalesced),
// then a butterfly shuffle.
extern "C" __global__ void global_avg_pool_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int planes, int hw, float inv_hw)
{
    int plane = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (plane >= planes) return;   // the whole warp leaves together
    const float* xp = x + (long long)plane * hw;
    float s = 0.f;
    for (int j = lane; j < hw; j += 32) s += xp[j];
    s = nc_warp_sum(s);
    if (lane == 0) y[plane] = s * inv_hw;
}

// dx[plane, j] = dy[plane] · inv_hw, grid-stride over the planes·hw elements.
extern "C" __global__ void global_avg_pool_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, int planes, int hw, float inv_hw)
{
    int count = planes * hw;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < count; e += gridDim.x * blockDim.x) dx[e] = dy[e / hw] * inv_hw;
}

NC_EXPORT_KERNEL(maxpool2d_forward_kernel);
NC_EXPORT_KERNEL(maxpool2d_backward_kernel);
NC_EXPORT_KERNEL(global_avg_pool_forward_kernel);
NC_EXPORT_KERNEL(global_avg_pool_backward_kernel);
