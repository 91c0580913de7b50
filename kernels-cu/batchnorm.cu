// batchnorm.cu — batch normalisation over x viewed as [n, c, hw] (hw = 1 for BatchNorm1d): per
// channel ch the n·hw values x[i, ch, j] (element e = i·hw + j of the channel).
//
// Training forward, three launches, none waiting on the host:
//   stats     grid (c, S): block (ch, z) reduces elements [z·chunk, (z+1)·chunk) of channel ch to
//             (mean, M2). Statistics by Welford's update per thread, then Chan et al.'s pairwise
//             merge across lanes, warps and — in finalize — the S blocks, in a fixed order: stable
//             (no E[x²] − μ² cancellation) and deterministic.
//   finalize  a thread per channel: μ, biased σ², saveMean, saveInvStd, running stats (unbiased
//             variance, momentum as PyTorch) and the affine coefficients (scale, shift).
//   apply     elementwise y = x·scale + shift, then max(y, 0) when fused with ReLU.
// Backward, likewise: reduce (Σg, Σg·(x−μ) per block) → finalize (dβ, dγ, coefficients) → apply.
// Inference: one elementwise launch with the running statistics.
// Fused with a residual add and ReLU (batchnorm_add_relu_*): the same launches, other applies.
// x stored in bf16 (the "_bf16" kernels: a bf16 convolution's output, kernels-cu/conv_mma.cu; in
// training and in eval mode): the kernels that read x are templates over its element type, instantiated for float and unsigned short
// (bf16 bits), reading through nc_load_f32; everything else (statistics, y, dx) stays fp32.
// y stored in bf16 too (the "_bf16_out_bf16" kernels: a BN+ReLU output that only the next
// convolution reads): apply and inference round y (RNE) as they store it (nc_store_f32), and
// backward reads that bf16 y as its ReLU mask (y > 0), the fused residual kernels keep y fp32.
// dx stored in bf16 (the "_dx_bf16" backward applies: the gradient handed to a bf16 convolution,
// which rounds it to bf16 anyway): rounded as it is stored; a residual's gradient stays fp32. The
// add + ReLU kernels store y in bf16 too where the block's output feeds convolutions only (a block
// before a projection shortcut): "batchnorm_add_relu_*_bf16_out_bf16".
// Partial sums and coefficients live in the launcher's workspace (BatchNormKernels.cs). Indices
// are 32-bit: the launcher checks n·c·hw < 2³¹.
// Launch configuration: BatchNormKernels.cs.
#include "nc_cuda.cuh"

// (count, mean, M2) of a set of values; M2 = Σ (v − mean)².
struct nc_welford
{
    float n, mean, m2;
};

// Chan et al.: the statistics of the union of two disjoint sets. Counts stay exact in float
// (≤ 2²⁴ per block, which the launcher's chunk size guarantees).
__device__ __forceinline__ nc_welford nc_welford_merge(nc_welford a, nc_welford b)
{
    float n = a.n + b.n;
    if (n == 0.f) return a;
    float delta = b.mean - a.mean, fb = b.n / n;
    nc_welford r;
    r.n = n;
    r.mean = a.mean + delta * fb;
    r.m2 = a.m2 + b.m2 + delta * delta * a.n * fb;
    return r;
}

__device__ __forceinline__ nc_welford nc_welford_shfl_xor(nc_welford v, int o)
{
    nc_welford r;
    r.n = __shfl_xor_sync(NC_FULL_MASK, v.n, o);
    r.mean = __shfl_xor_sync(NC_FULL_MASK, v.mean, o);
    r.m2 = __shfl_xor_sync(NC_FULL_MASK, v.m2, o);
    return r;
}

// Merge of every thread's statistics (blockDim.x a multiple of 32, ≤ 1024); valid in thread 0.
// The tree (butterfly within warps, then warp 0 over the warps) is fixed by thread indices.
__device__ __forceinline__ nc_welford nc_welford_block(nc_welford v, nc_welford* warp_stats)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v = nc_welford_merge(v, nc_welford_shfl_xor(v, o));
    if (lane == 0) warp_stats[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        nc_welford none = { 0.f, 0.f, 0.f };
        v = lane < warps ? warp_stats[lane] : none;
        for (int o = 16; o > 0; o >>= 1) v = nc_welford_merge(v, nc_welford_shfl_xor(v, o));
    }
    return v;
}

// Two sums over the block (blockDim.x a multiple of 32); valid in thread 0.
__device__ __forceinline__ void nc_bn_block_sum2(float& a, float& b, float (*warp_sums)[2])
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    a = nc_warp_sum(a);
    b = nc_warp_sum(b);
    if (lane == 0) { warp_sums[warp][0] = a; warp_sums[warp][1] = b; }
    __syncthreads();
    if (warp == 0)
    {
        a = nc_warp_sum(lane < warps ? warp_sums[lane][0] : 0.f);
        b = nc_warp_sum(lane < warps ? warp_sums[lane][1] : 0.f);
    }
}

// Walks one channel's elements e = first, first + step, … as (plane i, offset j) with
// e = i·hw + j, without a division per element: the step is (step / hw) planes plus a remainder.
struct nc_bn_channel_walk
{
    int i, j, di, dj, hw;

    __device__ nc_bn_channel_walk(int first, int step, int hw_) : hw(hw_)
    {
        i = first / hw; j = first - i * hw;
        di = step / hw; dj = step - di * hw;
    }

    // Index of the element in the [n, c, hw] tensor.
    __device__ int index(int ch, int c) const { return (i * c + ch) * hw + j; }

    __device__ void next()
    {
        i += di; j += dj;
        if (j >= hw) { j -= hw; i++; }
    }
};

// Walks flat elements e = first, first + step, … of the [n, c, hw] tensor, keeping the channel
// ch = (e / hw) mod c up to date without dividing.
struct nc_bn_flat_walk
{
    int ch, j, dch, dj, c, hw;

    __device__ nc_bn_flat_walk(int first, int step, int c_, int hw_) : c(c_), hw(hw_)
    {
        int plane = first / hw;
        j = first - plane * hw; ch = plane % c;
        int dplanes = step / hw;
        dj = step - dplanes * hw; dch = dplanes % c;
    }

    __device__ void next()
    {
        ch += dch; j += dj;
        if (j >= hw) { j -= hw; ch++; }
        if (ch >= c) ch -= c;   // ch + dch + 1 ≤ 2c − 1
    }
};

// partial[(ch·S + z)·2 + {0, 1}] = (mean, M2) of channel ch's elements e ∈ [z·chunk,
// min((z+1)·chunk, n·hw)), S = gridDim.y. Thread t takes e = z·chunk + t, + blockDim.x, …
// (consecutive threads, consecutive addresses within a plane).
template <typename TX>
__device__ __forceinline__ void nc_bn_forward_stats(const TX* __restrict__ x, float* __restrict__ partial, int n, int c, int hw, int chunk)
{
    __shared__ nc_welford warp_stats[32];
    int ch = blockIdx.x, z = blockIdx.y, total = n * hw;
    int begin = z * chunk, end = min(begin + chunk, total);
    nc_welford s = { 0.f, 0.f, 0.f };
    if (begin + (int)threadIdx.x < end)
    {
        nc_bn_channel_walk it(begin + threadIdx.x, blockDim.x, hw);
        for (int e = begin + threadIdx.x; e < end; e += blockDim.x, it.next())
        {
            float v = nc_load_f32(x, it.index(ch, c));
            s.n += 1.f;
            float d = v - s.mean;
            s.mean += d / s.n;
            s.m2 += d * (v - s.mean);
        }
    }
    s = nc_welford_block(s, warp_stats);
    if (threadIdx.x == 0)
    {
        float* out = partial + ((long long)ch * gridDim.y + z) * 2;
        out[0] = s.mean;
        out[1] = s.m2;
    }
}

extern "C" __global__ void batchnorm_forward_stats_kernel(const float* __restrict__ x, float* __restrict__ partial, int n, int c, int hw, int chunk)
{
    nc_bn_forward_stats(x, partial, n, c, hw, chunk);
}

extern "C" __global__ void batchnorm_forward_stats_bf16_kernel(const unsigned short* __restrict__ x, float* __restrict__ partial, int n, int c, int hw, int chunk)
{
    nc_bn_forward_stats(x, partial, n, c, hw, chunk);
}

// Per channel (a thread each): merge the S partials in order z = 0, 1, … (counts recomputed
// from the chunk size), then
//   μ = mean, σ² = M2 / (n·hw) (biased), saveMean ← μ, saveInvStd ← 1/√(σ² + ε),
//   running_mean ← (1−m)·running_mean + m·μ, running_var ← (1−m)·running_var + m·M2/(n·hw − 1)
//   (unbiased; σ² itself when n·hw ≤ 1), coef[ch] = (scale, shift) = (γ·invStd, β − μ·scale).
// n·hw = 0 gives μ = σ² = 0, as the cpu backend.
extern "C" __global__ void batchnorm_forward_finalize_kernel(const float* __restrict__ partial, int splits, int chunk, int total,
                                                             const float* __restrict__ gamma, const float* __restrict__ beta,
                                                             float* __restrict__ save_mean, float* __restrict__ save_invstd,
                                                             float* __restrict__ running_mean, float* __restrict__ running_var,
                                                             float* __restrict__ coef, int c, float momentum, float eps)
{
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    const float* p = partial + (long long)ch * splits * 2;
    double count = 0, mean = 0, m2 = 0;   // one channel per thread: double costs nothing here
    for (int z = 0; z < splits; z++)
    {
        double nb = min(chunk, total - z * chunk);
        if (nb <= 0) break;
        double delta = p[2 * z] - mean, nn = count + nb;
        mean += delta * nb / nn;
        m2 += p[2 * z + 1] + delta * delta * count * nb / nn;
        count = nn;
    }
    double var = count > 0 ? m2 / count : 0.0;
    float invstd = (float)(1.0 / sqrt(var + (double)eps));
    double unbiased = count > 1 ? m2 / (count - 1) : var;
    save_mean[ch] = (float)mean;
    save_invstd[ch] = invstd;
    running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean);
    running_var[ch] = (float)((1.0 - momentum) * running_var[ch] + momentum * unbiased);
    float scale = gamma[ch] * invstd;
    coef[2 * ch] = scale;
    coef[2 * ch + 1] = beta[ch] - (float)mean * scale;
}

// y[e] = x[e]·scale[ch] + shift[ch] for ch = (e / hw) mod c; then max(y, 0) when relu.
// Grid-stride over the n·c·hw elements; y may be x (each element reads before it writes).
template <typename TX, typename TY>
__device__ __forceinline__ void nc_bn_forward_apply(const TX* x, TY* y, const float* __restrict__ coef, int count, int c, int hw, int relu)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
    {
        float v = fmaf(nc_load_f32(x, e), coef[2 * it.ch], coef[2 * it.ch + 1]);
        nc_store_f32(y, e, relu ? nc_relu(v) : v);
    }
}

extern "C" __global__ void batchnorm_forward_apply_kernel(const float* x, float* y, const float* __restrict__ coef,
                                                          int count, int c, int hw, int relu)
{
    nc_bn_forward_apply(x, y, coef, count, c, hw, relu);
}

extern "C" __global__ void batchnorm_forward_apply_bf16_kernel(const unsigned short* __restrict__ x, float* __restrict__ y, const float* __restrict__ coef,
                                                               int count, int c, int hw, int relu)
{
    nc_bn_forward_apply(x, y, coef, count, c, hw, relu);
}

// Eval mode: y[e] = γ·(x − running_mean)/√(running_var + ε) + β per channel, as
// x·scale + shift with scale = γ/√(running_var + ε), shift = β − running_mean·scale (the cpu
// backend's order); then max(y, 0) when relu. y may be x.
template <typename TX, typename TY>
__device__ __forceinline__ void nc_bn_forward_inference(const TX* x, TY* y, const float* __restrict__ gamma, const float* __restrict__ beta,
                                                        const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                        int count, int c, int hw, float eps, int relu)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
    {
        float scale = gamma[it.ch] / sqrtf(running_var[it.ch] + eps), shift = beta[it.ch] - running_mean[it.ch] * scale;
        float v = fmaf(nc_load_f32(x, e), scale, shift);
        nc_store_f32(y, e, relu ? nc_relu(v) : v);
    }
}

extern "C" __global__ void batchnorm_forward_inference_kernel(const float* x, float* y,
                                                              const float* __restrict__ gamma, const float* __restrict__ beta,
                                                              const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                              int count, int c, int hw, float eps, int relu)
{
    nc_bn_forward_inference(x, y, gamma, beta, running_mean, running_var, count, c, hw, eps, relu);
}

extern "C" __global__ void batchnorm_forward_inference_bf16_kernel(const unsigned short* __restrict__ x, float* __restrict__ y,
                                                                   const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                   const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                                   int count, int c, int hw, float eps, int relu)
{
    nc_bn_forward_inference(x, y, gamma, beta, running_mean, running_var, count, c, hw, eps, relu);
}

// partial[(ch·S + z)·2 + {0, 1}] = (Σ g, Σ g·(x − μ)) over channel ch's elements
// [z·chunk, min((z+1)·chunk, n·hw)), with g = dy, or dy·[y > 0] when y (the fused BN+ReLU
// output) is given.
template <typename TX, typename TY>
__device__ __forceinline__ void nc_bn_backward_reduce(const TX* __restrict__ x, const float* __restrict__ dy, const TY* __restrict__ y,
                                                      const float* __restrict__ save_mean, float* __restrict__ partial,
                                                      int n, int c, int hw, int chunk)
{
    __shared__ float warp_sums[32][2];
    int ch = blockIdx.x, z = blockIdx.y, total = n * hw;
    int begin = z * chunk, end = min(begin + chunk, total);
    float mean = save_mean[ch], sum_g = 0.f, sum_gx = 0.f;
    if (begin + (int)threadIdx.x < end)
    {
        nc_bn_channel_walk it(begin + threadIdx.x, blockDim.x, hw);
        for (int e = begin + threadIdx.x; e < end; e += blockDim.x, it.next())
        {
            int i = it.index(ch, c);
            float g = (y == nullptr || nc_load_f32(y, i) > 0.f) ? dy[i] : 0.f;
            sum_g += g;
            sum_gx = fmaf(g, nc_load_f32(x, i) - mean, sum_gx);
        }
    }
    nc_bn_block_sum2(sum_g, sum_gx, warp_sums);
    if (threadIdx.x == 0)
    {
        float* out = partial + ((long long)ch * gridDim.y + z) * 2;
        out[0] = sum_g;
        out[1] = sum_gx;
    }
}

extern "C" __global__ void batchnorm_backward_reduce_kernel(const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ y,
                                                            const float* __restrict__ save_mean, float* __restrict__ partial,
                                                            int n, int c, int hw, int chunk)
{
    nc_bn_backward_reduce(x, dy, y, save_mean, partial, n, c, hw, chunk);
}

extern "C" __global__ void batchnorm_backward_reduce_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ y,
                                                                 const float* __restrict__ save_mean, float* __restrict__ partial,
                                                                 int n, int c, int hw, int chunk)
{
    nc_bn_backward_reduce(x, dy, y, save_mean, partial, n, c, hw, chunk);
}

// Per channel (a thread each), with the S partials added in order (in double):
//   dβ = Σ g, dγ = Σ g·x̂ = invStd·Σ g·(x − μ), and the coefficients of
//   dx = k·g + b·(x − μ) + shift: k = γ·invStd, shift = −k·dβ/N, b = −k·invStd·dγ/N (N = n·hw),
// computed in the cpu backend's order. coef[ch] = (k, b, shift).
extern "C" __global__ void batchnorm_backward_finalize_kernel(const float* __restrict__ partial, int splits, const float* __restrict__ gamma,
                                                              const float* __restrict__ save_invstd, float* __restrict__ dgamma,
                                                              float* __restrict__ dbeta, float* __restrict__ coef, int c, int total)
{
    int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    const float* p = partial + (long long)ch * splits * 2;
    double sum_g = 0, sum_gx = 0;
    for (int z = 0; z < splits; z++) { sum_g += p[2 * z]; sum_gx += p[2 * z + 1]; }
    float invstd = save_invstd[ch];
    dbeta[ch] = (float)sum_g;
    dgamma[ch] = (float)(sum_gx * invstd);
    float k = gamma[ch] * invstd;
    coef[3 * ch] = k;
    coef[3 * ch + 1] = total > 0 ? -k * invstd * (float)(sum_gx * invstd / total) : 0.f;
    coef[3 * ch + 2] = total > 0 ? -k * (float)(sum_g / total) : 0.f;
}

// dx[e] = k·g + b·(x − μ) + shift for ch = (e / hw) mod c, g = dy or dy·[y > 0] (fused ReLU).
// Grid-stride over the n·c·hw elements; dx may be dy itself (each element reads before it writes).
template <typename TX, typename TY, typename TDX>
__device__ __forceinline__ void nc_bn_backward_apply(const TX* x, const float* dy, const TY* y, const float* __restrict__ save_mean,
                                                     const float* __restrict__ coef, TDX* dx, int count, int c, int hw)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
    {
        float g = (y == nullptr || nc_load_f32(y, e) > 0.f) ? dy[e] : 0.f;
        const float* k = coef + 3 * it.ch;
        nc_store_f32(dx, e, fmaf(k[1], nc_load_f32(x, e) - save_mean[it.ch], fmaf(k[0], g, k[2])));
    }
}

extern "C" __global__ void batchnorm_backward_apply_kernel(const float* x, const float* dy, const float* y, const float* __restrict__ save_mean,
                                                           const float* __restrict__ coef, float* dx, int count, int c, int hw)
{
    nc_bn_backward_apply(x, dy, y, save_mean, coef, dx, count, c, hw);
}

extern "C" __global__ void batchnorm_backward_apply_bf16_kernel(const unsigned short* __restrict__ x, const float* dy, const float* y,
                                                                const float* __restrict__ save_mean, const float* __restrict__ coef, float* dx,
                                                                int count, int c, int hw)
{
    nc_bn_backward_apply(x, dy, y, save_mean, coef, dx, count, c, hw);
}

// ---------------------------------------------------------------------------------------------
// Fused batch norm + residual add + ReLU (ResNet's bn2 of a BasicBlock, bn3 of a Bottleneck):
// out = relu(bn(x) + residual). Training forward reuses stats and finalize; only the apply
// differs. Backward reuses reduce (masked by out > 0) and finalize; its apply writes both dx and
// the residual's gradient g = dy·[out > 0], the mask evaluated once per element.

// y[e] = relu(x[e]·scale[ch] + shift[ch] + residual[e]) (NaN propagates). y may be x or residual.
template <typename TX, typename TY>
__device__ __forceinline__ void nc_bn_add_relu_forward_apply(const TX* x, const float* residual, TY* y, const float* __restrict__ coef,
                                                             int count, int c, int hw)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
        nc_store_f32(y, e, nc_relu(fmaf(nc_load_f32(x, e), coef[2 * it.ch], coef[2 * it.ch + 1]) + residual[e]));
}

extern "C" __global__ void batchnorm_add_relu_forward_apply_kernel(const float* x, const float* residual, float* y, const float* __restrict__ coef,
                                                                   int count, int c, int hw)
{
    nc_bn_add_relu_forward_apply(x, residual, y, coef, count, c, hw);
}

// The same with x in bf16; y may be residual.
extern "C" __global__ void batchnorm_add_relu_forward_apply_bf16_kernel(const unsigned short* __restrict__ x, const float* residual, float* y,
                                                                        const float* __restrict__ coef, int count, int c, int hw)
{
    nc_bn_add_relu_forward_apply(x, residual, y, coef, count, c, hw);
}

// Eval mode: y[e] = relu(x·scale + shift + residual[e]) with scale = γ/√(running_var + ε),
// shift = β − running_mean·scale (as batchnorm_forward_inference_kernel). y may be x or residual.
template <typename TX, typename TY>
__device__ __forceinline__ void nc_bn_add_relu_forward_inference(const TX* x, const float* residual, TY* y,
                                                                 const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                 const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                                 int count, int c, int hw, float eps)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
    {
        float scale = gamma[it.ch] / sqrtf(running_var[it.ch] + eps), shift = beta[it.ch] - running_mean[it.ch] * scale;
        nc_store_f32(y, e, nc_relu(fmaf(nc_load_f32(x, e), scale, shift) + residual[e]));
    }
}

extern "C" __global__ void batchnorm_add_relu_forward_inference_kernel(const float* x, const float* residual, float* y,
                                                                       const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                       const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                                       int count, int c, int hw, float eps)
{
    nc_bn_add_relu_forward_inference(x, residual, y, gamma, beta, running_mean, running_var, count, c, hw, eps);
}

// The same with x in bf16; y may be residual.
extern "C" __global__ void batchnorm_add_relu_forward_inference_bf16_kernel(const unsigned short* __restrict__ x, const float* residual, float* y,
                                                                            const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                            const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                                            int count, int c, int hw, float eps)
{
    nc_bn_add_relu_forward_inference(x, residual, y, gamma, beta, running_mean, running_var, count, c, hw, eps);
}

// g = dy·[y > 0] (y the fused output); dresidual[e] = g; dx[e] = k·g + b·(x − μ) + shift with the
// coefficients of batchnorm_backward_finalize_kernel. dx or dresidual may be dy.
template <typename TX, typename TY, typename TDX>
__device__ __forceinline__ void nc_bn_add_relu_backward_apply(const TX* x, const float* dy, const TY* y, const float* __restrict__ save_mean,
                                                              const float* __restrict__ coef, TDX* dx, float* dresidual, int count, int c, int hw)
{
    int first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x;
    if (first >= count) return;
    nc_bn_flat_walk it(first, step, c, hw);
    for (int e = first; e < count; e += step, it.next())
    {
        float g = nc_load_f32(y, e) > 0.f ? dy[e] : 0.f;
        const float* k = coef + 3 * it.ch;
        float xm = nc_load_f32(x, e) - save_mean[it.ch];
        dresidual[e] = g;
        nc_store_f32(dx, e, fmaf(k[1], xm, fmaf(k[0], g, k[2])));
    }
}

extern "C" __global__ void batchnorm_add_relu_backward_apply_kernel(const float* x, const float* dy, const float* y, const float* __restrict__ save_mean,
                                                                    const float* __restrict__ coef, float* dx, float* dresidual, int count, int c, int hw)
{
    nc_bn_add_relu_backward_apply(x, dy, y, save_mean, coef, dx, dresidual, count, c, hw);
}

extern "C" __global__ void batchnorm_add_relu_backward_apply_bf16_kernel(const unsigned short* __restrict__ x, const float* dy, const float* y,
                                                                         const float* __restrict__ save_mean, const float* __restrict__ coef,
                                                                         float* dx, float* dresidual, int count, int c, int hw)
{
    nc_bn_add_relu_backward_apply(x, dy, y, save_mean, coef, dx, dresidual, count, c, hw);
}

// x and y stored in bf16: y = bf16(relu?(x·scale + shift)).
extern "C" __global__ void batchnorm_forward_apply_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, unsigned short* __restrict__ y,
                                                                        const float* __restrict__ coef, int count, int c, int hw, int relu)
{
    nc_bn_forward_apply(x, y, coef, count, c, hw, relu);
}

// x and y stored in bf16, eval mode.
extern "C" __global__ void batchnorm_forward_inference_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, unsigned short* __restrict__ y,
                                                                            const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                            const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                                                            int count, int c, int hw, float eps, int relu)
{
    nc_bn_forward_inference(x, y, gamma, beta, running_mean, running_var, count, c, hw, eps, relu);
}

// Backward of batchnorm_forward_apply_bf16_out_bf16_kernel: x and the ReLU mask y in bf16.
extern "C" __global__ void batchnorm_backward_reduce_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                          const unsigned short* __restrict__ y, const float* __restrict__ save_mean,
                                                                          float* __restrict__ partial, int n, int c, int hw, int chunk)
{
    nc_bn_backward_reduce(x, dy, y, save_mean, partial, n, c, hw, chunk);
}

// Backward of batchnorm_forward_apply_bf16_out_bf16_kernel: x and the ReLU mask y in bf16; dx fp32.
extern "C" __global__ void batchnorm_backward_apply_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, const float* dy, const unsigned short* __restrict__ y,
                                                                         const float* __restrict__ save_mean, const float* __restrict__ coef, float* dx,
                                                                         int count, int c, int hw)
{
    nc_bn_backward_apply(x, dy, y, save_mean, coef, dx, count, c, hw);
}

// Backward apply of x stored in bf16 with dx stored in bf16; y (the mask) fp32 or null.
extern "C" __global__ void batchnorm_backward_apply_bf16_dx_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                        const float* __restrict__ y, const float* __restrict__ save_mean,
                                                                        const float* __restrict__ coef, unsigned short* __restrict__ dx,
                                                                        int count, int c, int hw)
{
    nc_bn_backward_apply(x, dy, y, save_mean, coef, dx, count, c, hw);
}

// Backward apply of x and y (the mask) stored in bf16 with dx stored in bf16.
extern "C" __global__ void batchnorm_backward_apply_bf16_out_bf16_dx_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                                 const unsigned short* __restrict__ y, const float* __restrict__ save_mean,
                                                                                 const float* __restrict__ coef, unsigned short* __restrict__ dx,
                                                                                 int count, int c, int hw)
{
    nc_bn_backward_apply(x, dy, y, save_mean, coef, dx, count, c, hw);
}

// Add + ReLU backward apply of x stored in bf16 with dx stored in bf16; y and dresidual fp32.
extern "C" __global__ void batchnorm_add_relu_backward_apply_bf16_dx_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                                 const float* __restrict__ y, const float* __restrict__ save_mean,
                                                                                 const float* __restrict__ coef, unsigned short* __restrict__ dx,
                                                                                 float* __restrict__ dresidual, int count, int c, int hw)
{
    nc_bn_add_relu_backward_apply(x, dy, y, save_mean, coef, dx, dresidual, count, c, hw);
}

// Add + ReLU with x and y stored in bf16 (residual fp32): y = bf16(relu(x·scale + shift + residual)).
extern "C" __global__ void batchnorm_add_relu_forward_apply_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ residual,
                                                                                 unsigned short* __restrict__ y, const float* __restrict__ coef,
                                                                                 int count, int c, int hw)
{
    nc_bn_add_relu_forward_apply(x, residual, y, coef, count, c, hw);
}

// Add + ReLU with x and y stored in bf16, eval mode.
extern "C" __global__ void batchnorm_add_relu_forward_inference_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ residual,
                                                                                     unsigned short* __restrict__ y,
                                                                                     const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                                     const float* __restrict__ running_mean,
                                                                                     const float* __restrict__ running_var, int count, int c, int hw, float eps)
{
    nc_bn_add_relu_forward_inference(x, residual, y, gamma, beta, running_mean, running_var, count, c, hw, eps);
}

// Add + ReLU backward apply with x and y (the mask) stored in bf16; dx and dresidual fp32.
extern "C" __global__ void batchnorm_add_relu_backward_apply_bf16_out_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                                  const unsigned short* __restrict__ y, const float* __restrict__ save_mean,
                                                                                  const float* __restrict__ coef, float* __restrict__ dx,
                                                                                  float* __restrict__ dresidual, int count, int c, int hw)
{
    nc_bn_add_relu_backward_apply(x, dy, y, save_mean, coef, dx, dresidual, count, c, hw);
}

// Add + ReLU backward apply with x, y (the mask) and dx stored in bf16; dresidual fp32.
extern "C" __global__ void batchnorm_add_relu_backward_apply_bf16_out_bf16_dx_bf16_kernel(const unsigned short* __restrict__ x, const float* __restrict__ dy,
                                                                                          const unsigned short* __restrict__ y,
                                                                                          const float* __restrict__ save_mean, const float* __restrict__ coef,
                                                                                          unsigned short* __restrict__ dx, float* __restrict__ dresidual,
                                                                                          int count, int c, int hw)
{
    nc_bn_add_relu_backward_apply(x, dy, y, save_mean, coef, dx, dresidual, count, c, hw);
}

NC_EXPORT_KERNEL(batchnorm_forward_stats_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_finalize_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_apply_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_inference_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_reduce_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_finalize_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_apply_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_apply_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_inference_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_backward_apply_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_stats_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_apply_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_reduce_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_apply_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_apply_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_backward_apply_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_inference_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_inference_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_apply_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_forward_inference_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_reduce_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_apply_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_apply_bf16_dx_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_backward_apply_bf16_out_bf16_dx_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_backward_apply_bf16_dx_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_apply_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_forward_inference_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_backward_apply_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(batchnorm_add_relu_backward_apply_bf16_out_bf16_dx_bf16_kernel);
