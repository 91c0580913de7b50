// sinkhorn.cu — SwAV's Sinkhorn-Knopp codes (Caron et al. 2020, the official distributed_sinkhorn
// on one process) in the log domain, fp32 storage and arithmetic whatever the training precision.
// CPU reference: CpuBackend.Sinkhorn.cs. Launch configuration: SinkhornKernels.cs.
//
// Notation: scores s [B, K] row-major (row b = sample b against the K prototypes), ε > 0, T ≥ 1
// iterations, t_bk = s_bk/ε. The official code forms Q = exp(t)ᵀ [K, B], Q /= ΣQ, then T times
// { each prototype row k: Q_k· /= Σ_b Q_kb, /= K;  each sample column b: Q_·b /= Σ_k Q_kb, /= B },
// and returns B·Qᵀ. Here Q_kb = exp(t_bk + u_k + v_b) is never formed, only its log scalings:
//   prototype step  u_k ← −log K − LSE_b(t_bk + v_b)    ⇒ Σ_b Q_kb = 1/K  (rows of Q sum to 1/K)
//   sample step     v_b ← −log B − LSE_k(t_bk + u_k)    ⇒ Σ_k Q_kb = 1/B  (columns sum to 1/B)
// from v = 0: the initial Q /= ΣQ is a constant that the first prototype step divides out. After
// the last sample step B·Q_kb = exp(t_bk + u_k − LSE_k(t_b· + u)), i.e. codes_b· = softmax(t_b· + u):
// v is only ever used by the pass that computes it, and the last sample step is the output pass.
//
// Shift. u_k absorbs any per-prototype constant (the first prototype step divides it out), so the
// kernels use t'_bk = (s_bk − s_0k)/ε, row 0 as the reference, in place of t (u shifts by s_0k/ε,
// codes are unchanged): scores with a large common offset (all ≈ −1e4) or one prototype far above
// the others keep their differences in fp32. t' is clamped to ±1e30, so every exponent below is a
// finite float for any finite input (|u|, |v| stay within a few times max|t'|).
// Every log-sum-exp is max-subtracted and online (nc_lse_push, nc_lse_merge): each exp argument is
// ≤ 0, nothing overflows, and the largest term contributes exactly 1, so no sum is 0 (no log 0, no 0/0).
//
// Passes: 2T + 1 launches, in stream order, no host synchronisation.
//   iteration 1:      partials (prototype step over each slab, v = 0)     → prototypes (u)
//   iteration i ≥ 2:  partials (sample step i−1 on the slab's rows, then
//                     the prototype step over the slab with those v)      → prototypes (u)
//   codes:            sample step T fused with the output (softmax of t'_b· + u per row)
// A slab is SLAB_ROWS consecutive samples (16 at B = 4096: 256 slabs); one 512-thread block owns one.
// Both reductions read rows of s: the sample step a row per warp (lanes stride k: coalesced), the
// prototype step a prototype per thread over the slab's rows (consecutive threads read consecutive k
// of one row: coalesced). The prototype step re-reads the slab the sample step has just read
// (R·K·4 bytes, 192 KB at R = 16, K = 3000), from L1/L2, so each iteration reads the matrix from
// memory once; the cross-slab merge is a separate small launch (every block of the next pass needs
// all of u). At B = 4096, K = 3000, T = 3: the 49 MB matrix is read 4 times and written once, the
// slab partials (6 MB) written and read 3 times — about 280 MB, and 7 launches.
//
// Scratch (floats, one buffer): u [K] | partial maxima m [slabs·K] | partial sums [slabs·K].
// Deterministic: every merge is in a fixed order (lane butterflies, slabs in index order within the
// 8 stripes of the merge, stripes 0..7), no atomics, so equal inputs give equal bits.
#include "nc_cuda.cuh"

#define NC_SK_MAX_SLAB_ROWS 32
#define NC_SK_LOGIT_LIMIT 1e30f

// Adds the term x to the online log-sum-exp state (m, s) = log Σ e = m + log s: with d = |x − m|,
// a larger x rescales the sum by e^{−d} and contributes 1, a smaller one contributes e^{−d}; one
// exp either way. The empty state (−inf, 0) gives d = +inf, e^{−d} = 0, s = 1.
__device__ __forceinline__ void nc_lse_push(float& m, float& s, float x)
{
    float e = expf(-fabsf(x - m));
    s = x > m ? fmaf(s, e, 1.f) : s + e;
    m = fmaxf(m, x);
}

// t'_bk = (s_bk − s_0k)/ε, clamped to ±1e30 (s finite: the difference is finite or ±inf, never NaN).
__device__ __forceinline__ float nc_sk_logit(float s, float s0, float inv_eps)
{
    return fminf(fmaxf((s - s0) * inv_eps, -NC_SK_LOGIT_LIMIT), NC_SK_LOGIT_LIMIT);
}

// The state (m, a) of log Σ_k exp(t'_bk + u_k) = m + log a over the row sr = s_b·, by one warp (every
// lane gets it): each lane folds the columns lane, lane + 32, … into two alternating states (two
// independent exp chains), then the lane states merge by a butterfly.
__device__ __forceinline__ void nc_sk_row_lse(const float* __restrict__ sr, const float* __restrict__ s0, const float* __restrict__ u,
                                              int cols, float inv_eps, int lane, float& m, float& a)
{
    float m0 = -INFINITY, a0 = 0.f, m1 = -INFINITY, a1 = 0.f;
    int k = lane;
    for (; k + 32 < cols; k += 64)
    {
        float x0 = nc_sk_logit(sr[k], s0[k], inv_eps) + u[k];
        float x1 = nc_sk_logit(sr[k + 32], s0[k + 32], inv_eps) + u[k + 32];
        nc_lse_push(m0, a0, x0);
        nc_lse_push(m1, a1, x1);
    }
    if (k < cols) nc_lse_push(m0, a0, nc_sk_logit(sr[k], s0[k], inv_eps) + u[k]);
    nc_lse_merge(m0, a0, m1, a1);
    for (int o = 16; o > 0; o >>= 1)
    {
        float m2 = __shfl_xor_sync(NC_FULL_MASK, m0, o), a2 = __shfl_xor_sync(NC_FULL_MASK, a0, o);
        nc_lse_merge(m0, a0, m2, a2);
    }
    m = m0;
    a = a0;
}

// One slab per block: rows [b0, b0 + n), n = min(slab_rows, B − b0), slab_rows ≤ 32.
// Phase 1, when sample_step (iterations ≥ 2): v_b = −log B − LSE_k(t'_bk + u_k) for the slab's rows,
//   a warp per row, into shared memory (u from the previous prototypes launch); else v_b = 0.
// Phase 2: for each prototype k (a thread each, stepping by the block), the slab's share of the
//   prototype step, LSE over b in the slab of (t'_bk + v_b), as the state (m, sum) → partials[slab, k].
extern "C" __global__ void sinkhorn_forward_partials_kernel(const float* __restrict__ s, float* __restrict__ work, int rows, int cols,
                                                            int slab_rows, int sample_step, float inv_eps, float log_rows)
{
    __shared__ float v[NC_SK_MAX_SLAB_ROWS];
    int slabs = (rows + slab_rows - 1) / slab_rows;
    const float* u = work;
    float* part_m = work + cols;
    float* part_s = part_m + (long long)slabs * cols;
    int slab = blockIdx.x, b0 = slab * slab_rows, n = min(slab_rows, rows - b0);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;

    for (int r = warp; r < n; r += warps)
    {
        float m = 0.f, a = 1.f;   // v_b = 0 in the first iteration
        if (sample_step) nc_sk_row_lse(s + (long long)(b0 + r) * cols, s, u, cols, inv_eps, lane, m, a);
        if (lane == 0) v[r] = sample_step ? -log_rows - (m + logf(a)) : 0.f;
    }
    __syncthreads();

    const float* slab_s = s + (long long)b0 * cols;
    for (int k = threadIdx.x; k < cols; k += blockDim.x)
    {
        float s0 = s[k], m = -INFINITY, sum = 0.f;
#pragma unroll 4
        for (int r = 0; r < n; r++) nc_lse_push(m, sum, nc_sk_logit(slab_s[(long long)r * cols + k], s0, inv_eps) + v[r]);
        part_m[(long long)slab * cols + k] = m;
        part_s[(long long)slab * cols + k] = sum;
    }
}

// The prototype step from the slab partials: u_k = −log K − LSE over all slabs. Block (32, 8):
// 32 prototypes (consecutive threads, consecutive k: coalesced), thread row y merging slabs y, y + 8, …
// in order, then row 0 merging the 8 stripe states in order y = 0..7 (deterministic). Every partial
// holds ≥ 1 term (m finite, sum ≥ 1), so log of the merged sum is finite.
extern "C" __global__ void sinkhorn_forward_prototypes_kernel(float* __restrict__ work, int cols, int slabs, float log_cols)
{
    __shared__ float stripe_m[8][33], stripe_s[8][33];   // +1: no bank conflicts on the transposed read
    float* u = work;
    const float* part_m = work + cols;
    const float* part_s = part_m + (long long)slabs * cols;
    int tx = threadIdx.x, ty = threadIdx.y, k = blockIdx.x * 32 + tx;
    float m = -INFINITY, sum = 0.f;
    if (k < cols)
        for (int j = ty; j < slabs; j += blockDim.y) nc_lse_merge(m, sum, part_m[(long long)j * cols + k], part_s[(long long)j * cols + k]);
    stripe_m[ty][tx] = m;
    stripe_s[ty][tx] = sum;
    __syncthreads();
    if (ty == 0 && k < cols)
    {
        for (int y = 1; y < (int)blockDim.y; y++) nc_lse_merge(m, sum, stripe_m[y][tx], stripe_s[y][tx]);
        u[k] = -log_cols - (m + logf(sum));
    }
}

// The last sample step and the output, a warp per sample row b:
//   codes[b, k] = exp(t'_bk + u_k − LSE_k(t'_b· + u)) = B·Q_kb, so Σ_k codes[b, k] = 1 (to rounding).
// Pass 1 is the row's log-sum-exp state (m, a); pass 2 re-reads the row (from L1) and writes
// exp(x − m)/a. Not exp(x − (m + log a)): m + log a rounded to float at |m| ≈ 2000 is off by up to
// 6e-5, which would leave the row summing to 1 ± 6e-5; x − m is exact (Sterbenz) and a is the sum of
// the same exps, so the row sums to 1 within a few float ulps. codes must not overlap s (row 0 is
// every row's reference).
extern "C" __global__ void sinkhorn_forward_codes_kernel(const float* __restrict__ s, const float* __restrict__ work, float* __restrict__ codes,
                                                         int rows, int cols, float inv_eps)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;   // the whole warp leaves together
    const float* u = work;
    const float* sr = s + (long long)row * cols;
    float* cr = codes + (long long)row * cols;
    float m, a;
    nc_sk_row_lse(sr, s, u, cols, inv_eps, lane, m, a);
    float inv_a = 1.f / a;   // a ≥ 1: the largest term is e⁰
    for (int k = lane; k < cols; k += 32) cr[k] = expf(nc_sk_logit(sr[k], s[k], inv_eps) + u[k] - m) * inv_a;
}

NC_EXPORT_KERNEL(sinkhorn_forward_partials_kernel);
NC_EXPORT_KERNEL(sinkhorn_forward_prototypes_kernel);
NC_EXPORT_KERNEL(sinkhorn_forward_codes_kernel);
