// optim.cu — optimiser updates, one parameter element per index (grid-stride), each reading
// and writing its parameter, gradient and state once: memory-bound, fused so that a step is
// one launch per parameter buffer. Formulas follow PyTorch's SGD (plain, momentum,
// Nesterov), Adam (L2 weight decay) and AdamW (decoupled weight decay).
// Launch configuration: OptimKernels.cs.
#include "nc_cuda.cuh"

// Each update rule's per-element arithmetic is written once, here, and called by both its
// per-tensor kernel and its multi-tensor kernel below: same formula, same operation order, so the
// two paths are bit-identical by construction.

// Plain SGD: w ← w − lr·(g + wd·w).
__device__ __forceinline__ void nc_sgd_element(float* __restrict__ w, const float* __restrict__ g, long long i, float lr,
                                               float weight_decay)
{
    w[i] -= lr * (g[i] + weight_decay * w[i]);
}

// SGD with momentum: d = g + wd·w;  v ← μ·v + d;  w ← w − lr·(nesterov ? d + μ·v : v).
__device__ __forceinline__ void nc_sgd_momentum_element(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v,
                                                        long long i, float lr, float momentum, float weight_decay, int nesterov)
{
    float d = g[i] + weight_decay * w[i];
    float vi = momentum * v[i] + d;
    v[i] = vi;
    w[i] -= lr * (nesterov ? d + momentum * vi : vi);
}

// Adam / AdamW with the four host-folded values (see adam_forward_kernel):
//   g ← g + l2·w;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  w ← w·shrink − step_size·m / (√v·inv_sqrt_c2 + ε)
__device__ __forceinline__ void nc_adam_element(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m,
                                                float* __restrict__ v, long long i, float beta1, float beta2, float eps, float l2,
                                                float shrink, float step_size, float inv_sqrt_c2)
{
    float wi = w[i];
    float gi = g[i] + l2 * wi;
    float mi = beta1 * m[i] + (1.f - beta1) * gi;
    float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi * shrink - step_size * mi / (sqrtf(vi) * inv_sqrt_c2 + eps);
}

// LARS at the scaled rate λ = lr·r: step = λ·(g + wd·p);  v ← μ·v + step;  p ← p − (nesterov ? μ·v + step : v).
__device__ __forceinline__ void nc_lars_element(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v,
                                                long long i, float rate, float momentum, float weight_decay, int nesterov)
{
    float step = rate * (g[i] + weight_decay * p[i]);
    float vi = momentum * v[i] + step;
    v[i] = vi;
    p[i] -= nesterov ? momentum * vi + step : vi;
}

// Plain SGD (no momentum buffer), PyTorch's torch.optim.SGD with momentum 0:
//   w ← w − lr·(g + wd·w)
extern "C" __global__ void sgd_forward_kernel(float* __restrict__ w, const float* __restrict__ g, long long n, float lr,
                                              float weight_decay)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        nc_sgd_element(w, g, i, lr, weight_decay);
}

// SGD with momentum and (coupled) weight decay, PyTorch's torch.optim.SGD (dampening 0):
//   d = g + wd·w;  v ← μ·v + d;  w ← w − lr·(nesterov ? d + μ·v : v)
extern "C" __global__ void sgd_momentum_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v,
                                                       long long n, float lr, float momentum, float weight_decay, int nesterov)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        nc_sgd_momentum_element(w, g, v, i, lr, momentum, weight_decay, nesterov);
}

// Adam / AdamW, PyTorch's torch.optim.Adam and AdamW at step t. The host folds the mode and the
// bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ into four uniform values (fewer registers):
//   Adam (L2):       l2 = wd, shrink = 1          →  g ← g + wd·w
//   AdamW:           l2 = 0,  shrink = 1 − lr·wd  →  w ← w·(1 − lr·wd)
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   w ← w·shrink − step_size·m / (√v·inv_sqrt_c2 + ε),  step_size = lr/c1, inv_sqrt_c2 = 1/√c2
extern "C" __global__ void adam_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m,
                                               float* __restrict__ v, long long n, float beta1, float beta2, float eps, float l2,
                                               float shrink, float step_size, float inv_sqrt_c2)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        nc_adam_element(w, g, m, v, i, beta1, beta2, eps, l2, shrink, step_size, inv_sqrt_c2);
}

// Exponential moving average of weights (timm's ModelEma, torch.optim.swa_utils' EMA), in place:
//   a ← d·a + (1 − d)·x
// d = 0 copies x exactly; d = 1 leaves a unchanged.
__device__ __forceinline__ void nc_ema_element(float* __restrict__ a, const float* __restrict__ x, long long i, float keep, float take)
{
    a[i] = keep * a[i] + take * x[i];
}

extern "C" __global__ void ema_update_forward_kernel(float* __restrict__ a, const float* __restrict__ x, long long n, float decay)
{
    float keep = decay, take = 1.f - decay;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        nc_ema_element(a, x, i, keep, take);
}

// ---------------------------------------------------------------------------------------------
// Multi-tensor updates: one launch for every parameter tensor of an optimiser step (instead of
// one per tensor). Per-element arithmetic is the per-tensor kernels' element functions (top of
// this file), so the results are bit-identical to them.
// The table (device memory, built and uploaded once per optimiser by OptimKernels.MultiTable,
// reused every step) is an array of 64-bit integers, for T tensors:
//   table[5t + 0] = w (float*, parameter)      table[5t + 1] = g (const float*, gradient)
//   table[5t + 2] = s1 (float*, first state: SGD momentum buffer or 0 when none, Adam m)
//   table[5t + 3] = s2 (float*, second state: Adam v, else 0)
//   table[5t + 4] = n  (elements of tensor t)
//   table[5T + t] = first chunk of tensor t, t = 0 .. T (prefix of ⌈n_t / chunk⌉; table[5T] = 0,
//                   table[5T + T] = total chunks = gridDim.x)
//   table[6T + 1 ..] LARS's norm-block prefix and adapt flags (see lars_multi_*; zero otherwise)
// Block b handles chunk b − first(t) of the tensor t with first(t) ≤ b < first(t + 1): elements
// [c·chunk, min(n, (c + 1)·chunk)) strided by blockDim.x. Tensors of 0 elements have no chunk.
// ---------------------------------------------------------------------------------------------

// The tensor whose chunk range holds block b (binary search over the prefix table).
__device__ __forceinline__ int nc_multi_tensor_of(const long long* __restrict__ first, int tensors, long long b)
{
    int lo = 0, hi = tensors - 1;
    while (lo < hi)
    {
        int mid = (lo + hi + 1) >> 1;
        if (first[mid] <= b) lo = mid; else hi = mid - 1;
    }
    return lo;
}

// SGD over every tensor of the table, as sgd_forward_kernel (s1 = 0 in the table: no momentum)
// and sgd_momentum_forward_kernel (s1 = the momentum buffer):
//   plain:     w ← w − lr·(g + wd·w)
//   momentum:  d = g + wd·w;  v ← μ·v + d;  w ← w − lr·(nesterov ? d + μ·v : v)
extern "C" __global__ void sgd_multi_forward_kernel(const long long* __restrict__ table, int tensors, long long chunk, float lr,
                                                    float momentum, float weight_decay, int nesterov)
{
    const long long* first = table + 5LL * tensors;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    float* __restrict__ w = (float*)table[5 * t];
    const float* __restrict__ g = (const float*)table[5 * t + 1];
    float* __restrict__ v = (float*)table[5 * t + 2];
    long long n = table[5 * t + 4];
    long long begin = ((long long)blockIdx.x - first[t]) * chunk;
    long long end = begin + chunk < n ? begin + chunk : n;
    if (v == nullptr)
        for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
            nc_sgd_element(w, g, i, lr, weight_decay);
    else
        for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
            nc_sgd_momentum_element(w, g, v, i, lr, momentum, weight_decay, nesterov);
}

// Adam / AdamW over every tensor of the table (s1 = m, s2 = v), all at the same step t, as
// adam_forward_kernel with the same four host-folded values:
//   g ← g + l2·w;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   w ← w·shrink − step_size·m / (√v·inv_sqrt_c2 + ε)
extern "C" __global__ void adam_multi_forward_kernel(const long long* __restrict__ table, int tensors, long long chunk, float beta1,
                                                     float beta2, float eps, float l2, float shrink, float step_size,
                                                     float inv_sqrt_c2)
{
    const long long* first = table + 5LL * tensors;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    float* __restrict__ w = (float*)table[5 * t];
    const float* __restrict__ g = (const float*)table[5 * t + 1];
    float* __restrict__ m = (float*)table[5 * t + 2];
    float* __restrict__ v = (float*)table[5 * t + 3];
    long long n = table[5 * t + 4];
    long long begin = ((long long)blockIdx.x - first[t]) * chunk;
    long long end = begin + chunk < n ? begin + chunk : n;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        nc_adam_element(w, g, m, v, i, beta1, beta2, eps, l2, shrink, step_size, inv_sqrt_c2);
}

// The weights' moving average over every tensor of the table, as ema_update_forward_kernel: w = the
// average, s1 = the live weights it moves toward (read only), one launch for the whole model.
extern "C" __global__ void ema_multi_forward_kernel(const long long* __restrict__ table, int tensors, long long chunk, float decay)
{
    const long long* first = table + 5LL * tensors;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    float* __restrict__ a = (float*)table[5 * t];
    const float* __restrict__ x = (const float*)table[5 * t + 2];
    long long n = table[5 * t + 4];
    long long begin = ((long long)blockIdx.x - first[t]) * chunk;
    long long end = begin + chunk < n ? begin + chunk : n;
    float keep = decay, take = 1.f - decay;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        nc_ema_element(a, x, i, keep, take);
}

// The number of values that are not finite (NaN, ±Infinity) in the w of every tensor of the table,
// added to count[0]: the training step's check that the update left every weight finite, one
// launch for all tensors (it was a sum and an add per tensor, then a read). Exponent bits all
// ones ⇔ not finite. Only a thread that met such a value touches count[0], and integer atomics
// make the total independent of the order the blocks finish in.
extern "C" __global__ void nonfinite_multi_count_forward_kernel(const long long* __restrict__ table, int tensors, long long chunk,
                                                                int* __restrict__ count)
{
    const long long* first = table + 5LL * tensors;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    const float* __restrict__ w = (const float*)table[5 * t];
    long long n = table[5 * t + 4];
    long long begin = ((long long)blockIdx.x - first[t]) * chunk;
    long long end = begin + chunk < n ? begin + chunk : n;
    int bad = 0;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        bad += (__float_as_uint(w[i]) & 0x7f800000u) == 0x7f800000u;
    if (bad != 0) atomicAdd(count, bad);
}

NC_EXPORT_KERNEL(sgd_forward_kernel);
NC_EXPORT_KERNEL(sgd_momentum_forward_kernel);
NC_EXPORT_KERNEL(adam_forward_kernel);
NC_EXPORT_KERNEL(ema_update_forward_kernel);
NC_EXPORT_KERNEL(sgd_multi_forward_kernel);
NC_EXPORT_KERNEL(adam_multi_forward_kernel);
NC_EXPORT_KERNEL(ema_multi_forward_kernel);
NC_EXPORT_KERNEL(nonfinite_multi_count_forward_kernel);

// ---------------------------------------------------------------------------------------------
// LARS, SimCLR's variant (its lars_optimizer.py), in two launches and without a host round trip:
//   d = g + wd·p;  r = η·‖p‖/‖d‖ when adapting (r = 1 when either norm is 0), else r = 1;
//   λ = lr·r;  v ← μ·v + λ·d;  p ← p − (μ·v + λ·d) (Nesterov) or p ← p − v.
// 1. lars_norms_forward_kernel: each block reduces Σp² and Σd² over its grid-stride share, in
//    double (as the cpu reference), into partials[2b], partials[2b + 1].
// 2. lars_update_forward_kernel: every block first reduces all partials itself — one warp, a fixed
//    order, so every block computes the identical r — then updates its elements.
// No atomics and no "last block" counter: the result is deterministic and the scratch needs no
// initialisation. Launch configuration (block count of pass 1 ≤ 128): OptimKernels.cs.
// ---------------------------------------------------------------------------------------------

// Sum of v over the block (blockDim a multiple of 32, ≤ 1024) in a fixed order; valid in thread 0.
__device__ __forceinline__ double nc_block_sum_double(double v, double* warp_sums)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(NC_FULL_MASK, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    double s = 0.0;
    if (warp == 0)
    {
        s = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(NC_FULL_MASK, s, o);
    }
    __syncthreads();
    return s;
}

// λ = lr·r from a tensor's norm partials (2 doubles per norm block, count blocks; none read unless
// adapt): warp 0 sums them in a fixed order, so every block of a launch computes the identical
// rate, and lane 0 publishes it through *s_rate. Every thread of the block must call it (barrier).
__device__ __forceinline__ float nc_lars_rate(const double* __restrict__ partials, int count, int adapt, float lr,
                                             float trust_coefficient, float* s_rate)
{
    if (threadIdx.x < 32)
    {
        int lane = threadIdx.x;
        double pp = 0.0, dd = 0.0;
        if (adapt)
            for (int b = lane; b < count; b += 32)
            {
                pp += partials[2 * b];
                dd += partials[2 * b + 1];
            }
        for (int o = 16; o > 0; o >>= 1)
        {
            pp += __shfl_xor_sync(NC_FULL_MASK, pp, o);
            dd += __shfl_xor_sync(NC_FULL_MASK, dd, o);
        }
        if (lane == 0)
        {
            double wn = sqrt(pp), dn = sqrt(dd);
            float ratio = adapt && wn > 0.0 && dn > 0.0 ? (float)((double)trust_coefficient * wn / dn) : 1.f;
            *s_rate = lr * ratio;
        }
    }
    __syncthreads();
    return *s_rate;
}

// Block `block` of a `blocks`-block grid-stride pass over one tensor: out[0] = Σ p_i², out[1] = Σ d_i²
// (d = g + wd·p) over its elements, accumulated in double and summed over the block in a fixed order.
__device__ __forceinline__ void nc_lars_norm_block(const float* __restrict__ p, const float* __restrict__ g, long long n,
                                                   long long block, long long blocks, float weight_decay, double* __restrict__ out)
{
    __shared__ double warp_sums[32];
    double pp = 0.0, dd = 0.0;
    for (long long i = block * blockDim.x + threadIdx.x; i < n; i += blocks * blockDim.x)
    {
        float pi = p[i];
        float d = g[i] + weight_decay * pi;
        pp += (double)pi * pi;
        dd += (double)d * d;
    }
    pp = nc_block_sum_double(pp, warp_sums);
    dd = nc_block_sum_double(dd, warp_sums);
    if (threadIdx.x == 0)
    {
        out[0] = pp;
        out[1] = dd;
    }
}

// partials[2b] = Σ p_i², partials[2b + 1] = Σ d_i² over the elements i of block b, d = g + wd·p.
extern "C" __global__ void lars_norms_forward_kernel(const float* __restrict__ p, const float* __restrict__ g,
                                                     double* __restrict__ partials, long long n, float weight_decay)
{
    nc_lars_norm_block(p, g, n, blockIdx.x, gridDim.x, weight_decay, partials + 2 * blockIdx.x);
}

// The update with the trust ratio from partials[0 .. 2·partial_count) (ignored unless adapt).
extern "C" __global__ void lars_update_forward_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v,
                                                      const double* __restrict__ partials, int partial_count, long long n, float lr,
                                                      float momentum, float weight_decay, float trust_coefficient, int adapt,
                                                      int nesterov)
{
    __shared__ float s_scaled_lr;
    float rate = nc_lars_rate(partials, adapt ? partial_count : 0, adapt, lr, trust_coefficient, &s_scaled_lr);
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        nc_lars_element(p, g, v, i, rate, momentum, weight_decay, nesterov);
}

// ---------------------------------------------------------------------------------------------
// Multi-tensor LARS: the two passes above for every tensor of the optimiser in two launches (not
// two per tensor), bit-identical to them. The table is the multi-tensor table (see sgd_multi; s1 =
// the velocity) extended, for T tensors, by
//   table[6T + 1 + t] = first norm block of tensor t, t = 0 .. T: prefix of B_t, where B_t is the
//                       per-tensor norm pass's block count (min(⌈n/256⌉, 128), at least 1) for an
//                       adapted tensor and 0 for an excluded one (table[7T + 1] = total norm blocks)
//   table[7T + 2 + t] = adapt flag of tensor t (1: weight decay and trust ratio, 0: excluded —
//                       plain momentum SGD with wd = 0, as Lars passes it to the per-tensor kernel)
// partials holds 2 doubles per norm block: tensor t's are partials[2·first_norm(t) ..], in the
// layout lars_norms_forward_kernel writes for that tensor alone.
// ---------------------------------------------------------------------------------------------

// Block b = norm block b − first_norm(t) of tensor t: exactly lars_norms_forward_kernel's block of
// that index in a grid of B_t blocks (same elements, same order, same block sum).
extern "C" __global__ void lars_multi_norms_forward_kernel(const long long* __restrict__ table, int tensors,
                                                           double* __restrict__ partials, float weight_decay)
{
    const long long* first = table + 6LL * tensors + 1;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    const float* __restrict__ p = (const float*)table[5 * t];
    const float* __restrict__ g = (const float*)table[5 * t + 1];
    long long n = table[5 * t + 4];
    nc_lars_norm_block(p, g, n, (long long)blockIdx.x - first[t], first[t + 1] - first[t], weight_decay, partials + 2 * blockIdx.x);
}

// Block b = chunk of tensor t (chunk prefix as sgd_multi): the trust ratio from tensor t's partials,
// reduced as lars_update_forward_kernel does, then its update on the chunk's elements:
//   wd_t = adapt_t ? wd : 0;  step = λ·(g + wd_t·p);  v ← μ·v + step;  p ← p − (nesterov ? μ·v + step : v)
extern "C" __global__ void lars_multi_update_forward_kernel(const long long* __restrict__ table, int tensors, long long chunk,
                                                            const double* __restrict__ partials, float lr, float momentum,
                                                            float weight_decay, float trust_coefficient, int nesterov)
{
    __shared__ float s_scaled_lr;
    const long long* first = table + 5LL * tensors;
    const long long* norm_first = table + 6LL * tensors + 1;
    int t = nc_multi_tensor_of(first, tensors, blockIdx.x);
    float* __restrict__ p = (float*)table[5 * t];
    const float* __restrict__ g = (const float*)table[5 * t + 1];
    float* __restrict__ v = (float*)table[5 * t + 2];
    long long n = table[5 * t + 4];
    int adapt = (int)table[7LL * tensors + 2 + t];
    float wd = adapt ? weight_decay : 0.f;
    int partial_count = adapt ? (int)(norm_first[t + 1] - norm_first[t]) : 0;
    float rate = nc_lars_rate(partials + 2 * norm_first[t], partial_count, adapt, lr, trust_coefficient, &s_scaled_lr);
    long long begin = ((long long)blockIdx.x - first[t]) * chunk;
    long long end = begin + chunk < n ? begin + chunk : n;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
        nc_lars_element(p, g, v, i, rate, momentum, wd, nesterov);
}

NC_EXPORT_KERNEL(lars_norms_forward_kernel);
NC_EXPORT_KERNEL(lars_update_forward_kernel);
NC_EXPORT_KERNEL(lars_multi_norms_forward_kernel);
NC_EXPORT_KERNEL(lars_multi_update_forward_kernel);
