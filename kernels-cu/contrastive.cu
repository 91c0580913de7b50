// contrastive.cu — fused contrastive losses, one warp per row (an anchor and its candidates):
// InfoNCE (SimCLR's NT-Xent with the self column excluded, NPID's full softmax without),
// NPID's NCE and SupCon's L_out (positives by label). Each forward reads its row of logits once and writes one loss per row; each
// backward reads the row once and writes its gradient. No [rows, cols] intermediate (scaled,
// masked or log-softmax matrix) is ever written. CPU reference: CpuBackend.Contrastive.cs.
// Launch configuration: ContrastiveKernels.cs.
#include "nc_cuda.cuh"

// InfoNCE forward, row r = one warp:
//   t_j = s[r, j]·inv_t over J_r = {j ≠ r} (exclude_self) or every j,
//   lse[r] = log Σ_{j∈J_r} exp t_j,   loss[r] = lse[r] − t_{p_r},   p_r = positives[r] ∈ J_r.
// A positive outside J_r (outside [0, cols), or r itself when excluding self) gives loss NaN and
// is reported (code 6; nc_report_bad_index).
// One pass with the online log-sum-exp: each lane folds its strided columns into (m, s) —
// a new maximum rescales the running sum, so every exponent is ≤ 0 and nothing overflows —
// then the 32 lane states merge by a butterfly. Reading the row once instead of twice
// (max pass, then sum pass) halves the traffic of this memory-bound kernel.
extern "C" __global__ void info_nce_forward_kernel(const float* __restrict__ s, const int* __restrict__ positives,
                                                   float* __restrict__ loss, float* __restrict__ lse, int rows, int cols,
                                                   float inv_t, int exclude_self, int* err)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float* sr = s + (long long)row * cols;
    int skip = exclude_self ? row : -1;
    float m = -INFINITY, sum = 0.f;
    for (int c = lane; c < cols; c += 32)
    {
        if (c == skip) continue;
        float t = sr[c] * inv_t;
        if (t > m)
        {
            sum = sum * expf(m - t) + 1.f;
            m = t;
        }
        else if (t > -INFINITY)
            sum += expf(t - m);
    }
    for (int o = 16; o > 0; o >>= 1)
    {
        float m2 = __shfl_xor_sync(NC_FULL_MASK, m, o), s2 = __shfl_xor_sync(NC_FULL_MASK, sum, o);
        nc_lse_merge(m, sum, m2, s2);
    }
    if (lane == 0)
    {
        float l = m + logf(sum);
        lse[row] = l;
        int p = positives[row];
        bool valid = (unsigned)p < (unsigned)cols && p != skip;
        if (!valid) nc_report_bad_index(err, 6, row, p, cols);
        loss[row] = valid ? l - sr[p] * inv_t : NAN;
    }
}

// InfoNCE backward, row r = one warp, with the forward's lse and g = dloss[r]·inv_t:
//   ds[r, j] = exp(t_j − lse[r])·g − [j = p_r]·g   for j ∈ J_r,   ds[r, r] = 0 when excluding self.
// softmax − onehot needs no reduction once lse is known: a single pass over the row.
// A positive outside J_r contributes no onehot term and is reported (code 7).
extern "C" __global__ void info_nce_backward_kernel(const float* __restrict__ s, const int* __restrict__ positives,
                                                    const float* __restrict__ lse, const float* __restrict__ dloss,
                                                    float* __restrict__ ds, int rows, int cols, float inv_t, int exclude_self,
                                                    int* err)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    long long o = (long long)row * cols;
    int p = positives[row], skip = exclude_self ? row : -1;
    float l = lse[row], g = dloss[row] * inv_t;
    if (!((unsigned)p < (unsigned)cols && p != skip))
    {
        if (lane == 0) nc_report_bad_index(err, 7, row, p, cols);
        p = -1;
    }
    for (int c = lane; c < cols; c += 32)
    {
        float v = expf(s[o + c] * inv_t - l) * g;
        if (c == p) v -= g;
        ds[o + c] = c == skip ? 0.f : v;
    }
}

// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}): the exponent is never positive,
// and log1p keeps the tiny terms (e^{−30}) that log(1 + x) would round away.
__device__ __forceinline__ float nc_softplus(float x) { return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x))); }

// c = ln(Z·m/N) of NPID's NCE = logf(Z) + ln(m/N). Z is read from the device (z[0]) because
// NPID re-estimates it from every batch's logits on the device: a host value would need a
// device-to-host read inside every step, which stalls the step and forbids capturing it as a
// graph. ln(m/N) = (float)(ln m − ln N) is constant and comes from the host. Z < 0 or NaN gives
// c = NaN and a NaN loss, Z = 0 c = −inf and a loss of +inf; the step log reports either. The cpu reference evaluates
// the same fp32 expression (CpuBackend.NceOffset).
__device__ __forceinline__ float nc_nce_offset(const float* z, float log_m_over_n) { return logf(z[0]) + log_m_over_n; }

// NPID NCE forward, row r = one warp, logits s [rows, m+1] (positive in column 0), c = ln(Z·m/N)
// (nc_nce_offset), u = s − c, h = σ(u):
//   loss[r] = −log h_0 − Σ_{j≥1} log(1 − h_j) = softplus(−u_0) + Σ_{j≥1} softplus(u_j).
extern "C" __global__ void nce_forward_kernel(const float* __restrict__ s, const float* __restrict__ z, float* __restrict__ loss,
                                              int rows, int cols, float log_m_over_n)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    float c = nc_nce_offset(z, log_m_over_n);
    const float* sr = s + (long long)row * cols;
    float total = 0.f;
    for (int j = lane; j < cols; j += 32) total += j == 0 ? nc_softplus(c - sr[0]) : nc_softplus(sr[j] - c);
    total = nc_warp_sum(total);
    if (lane == 0) loss[row] = total;
}

// NPID NCE backward: ds[r, j] = dloss[r]·(σ(u_j) − [j = 0]); for j = 0 written −σ(−u_0) = −1/(1 + e^{u_0})
// so that a positive with h ≈ 1 does not lose its gradient to cancellation.
extern "C" __global__ void nce_backward_kernel(const float* __restrict__ s, const float* __restrict__ z, const float* __restrict__ dloss,
                                               float* __restrict__ ds, int rows, int cols, float log_m_over_n)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    float c = nc_nce_offset(z, log_m_over_n);
    long long o = (long long)row * cols;
    float g = dloss[row];
    for (int j = lane; j < cols; j += 32)
        ds[o + j] = j == 0 ? -g / (1.f + expf(s[o] - c)) : g / (1.f + expf(c - s[o + j]));
}

// SupCon forward (Khosla et al. 2020, L_out, eq. 2), row r = one warp. The anchor r is also
// column r (rows ≤ cols: the anchors are the first rows of the candidates, all 2N views in SupCon).
// t_j = s[r, j]·inv_t over A(r) = {j ≠ r}; P(r) = {j ∈ A(r) : labels[j] = labels[r]}:
//   lse[r] = log Σ_{j∈A(r)} exp t_j,   count[r] = |P(r)|,
//   loss[r] = lse[r] − (1/|P(r)|)·Σ_{p∈P(r)} t_p  = −mean_{p∈P(r)} log softmax_{A(r)}(t)_p,
//   loss[r] = 0 when P(r) is empty (the anchor contributes nothing; never 0/0).
// Labels are only compared, so any int is valid and nothing is reported. One pass, as
// info_nce_forward_kernel: each lane folds its strided columns into the online (m, s) and into
// the sum and count of its positives; the 32 lane states merge by a butterfly.
extern "C" __global__ void supcon_forward_kernel(const float* __restrict__ s, const int* __restrict__ labels,
                                                 float* __restrict__ loss, float* __restrict__ lse, int* __restrict__ count,
                                                 int rows, int cols, float inv_t)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float* sr = s + (long long)row * cols;
    int own = labels[row];
    float m = -INFINITY, sum = 0.f, pos = 0.f;
    int n = 0;
    for (int c = lane; c < cols; c += 32)
    {
        if (c == row) continue;
        float t = sr[c] * inv_t;
        if (t > m)
        {
            sum = sum * expf(m - t) + 1.f;
            m = t;
        }
        else if (t > -INFINITY)
            sum += expf(t - m);
        if (labels[c] == own)
        {
            pos += t;
            n++;
        }
    }
    for (int o = 16; o > 0; o >>= 1)
    {
        float m2 = __shfl_xor_sync(NC_FULL_MASK, m, o), s2 = __shfl_xor_sync(NC_FULL_MASK, sum, o);
        nc_lse_merge(m, sum, m2, s2);
        pos += __shfl_xor_sync(NC_FULL_MASK, pos, o);
        n += __shfl_xor_sync(NC_FULL_MASK, n, o);
    }
    if (lane == 0)
    {
        float l = m + logf(sum);
        lse[row] = l;
        count[row] = n;
        loss[row] = n > 0 ? l - pos / (float)n : 0.f;
    }
}

// SupCon backward, row r = one warp, with the forward's lse and count and g = dloss[r]·inv_t:
//   ds[r, j] = exp(t_j − lse[r])·g − [j ∈ P(r)]·g/|P(r)|   for j ≠ r,   ds[r, r] = 0,
//   and the whole row 0 when P(r) is empty (its loss is the constant 0).
extern "C" __global__ void supcon_backward_kernel(const float* __restrict__ s, const int* __restrict__ labels,
                                                  const float* __restrict__ lse, const int* __restrict__ count,
                                                  const float* __restrict__ dloss, float* __restrict__ ds,
                                                  int rows, int cols, float inv_t)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    long long o = (long long)row * cols;
    int own = labels[row], n = count[row];
    float l = lse[row], g = dloss[row] * inv_t, w = n > 0 ? g / (float)n : 0.f;
    for (int c = lane; c < cols; c += 32)
    {
        float v = 0.f;
        if (n > 0 && c != row)
        {
            v = expf(s[o + c] * inv_t - l) * g;
            if (labels[c] == own) v -= w;
        }
        ds[o + c] = v;
    }
}

NC_EXPORT_KERNEL(info_nce_forward_kernel);
NC_EXPORT_KERNEL(info_nce_backward_kernel);
NC_EXPORT_KERNEL(nce_forward_kernel);
NC_EXPORT_KERNEL(nce_backward_kernel);
NC_EXPORT_KERNEL(supcon_forward_kernel);
NC_EXPORT_KERNEL(supcon_backward_kernel);
