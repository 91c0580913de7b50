// conv_mma.cu — 2-D convolution of NCHW fp32 tensors as implicit GEMM on tensor cores, for
// --precision tf32 and bf16 (sm_80+; the fp32 path is conv.cu). Same three GEMMs as conv.cu:
//
//   forward          rows k (K)  × columns (n,p,q) (N·P·Q), reduction (c,r,s) (C·R·S)
//                    A[k,(c,r,s)] = w[k,c,r,s],  B[(c,r,s),(n,p,q)] = x[n,c,p·sh−ph+r,q·sw−pw+s]
//   backward data    rows c (C)  × columns (n,h,w) (N·H·W), reduction (k,r,s) (K·R·S)
//                    A[c,(k,r,s)] = w[k,c,r,s],  B[(k,r,s),(n,h,w)] = dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]
//                    when both divisions are exact and in range, else 0 (a gather: no atomics)
//   backward weight  rows k (K)  × columns (c,r,s) (C·R·S), reduction (n,p,q) (N·P·Q)
//                    A[k,(n,p,q)] = dy[n,k,p,q], B[(n,p,q),(c,r,s)] = x[n,c,p·sh−ph+r,q·sw−pw+s]
//
// Split-K (all three; the launcher splits when the output has too few tiles to fill the device,
// typically backward weight): blockIdx.z takes reduction indices [z·chunk, (z+1)·chunk) and writes
// slot z (offset z·|output|) of a workspace, which conv.cu's conv2d_backward_weight_reduce_kernel
// adds in a fixed order (deterministic, no atomics). The forward bias goes into slot 0 only.
//
// Tiling: a 64×64 output tile per 128-thread block (4 warps, 2×2, each warp 32×32 = 2×4 mma
// tiles of 16×8), the reduction in 16-deep slices (two m16n8k8 tf32 steps or one m16n8k16 bf16
// step). Slices are staged in double-buffered shared memory: slice t+1's global loads go into
// registers before slice t's mma, and are stored (rounded) into the other buffer after it; one
// barrier per slice. Operands are rounded to tf32 (cvt.rna) or bf16 (RNE) once, as they are
// stored into shared memory; accumulation is fp32 in the mma. Out-of-range rows, columns and
// reduction indices load as 0, so any K, C, H, W, stride, padding and filter size is valid.
//
// Invariant after the main loop: acc holds Σ_{k ∈ [kbegin, kend)} round(A[row,k])·round(B[k,col])
// for the warp's 32×32 sub-tile in the C-fragment layout of nc_mma.cuh.
//
// Index arithmetic is 32-bit: the launcher (ConvMmaKernels.cs) checks every tensor has < 2³¹ elements.
#include "nc_cuda.cuh"
#include "nc_mma.cuh"

#define NC_MMA_THREADS 128
#define NC_MMA_TM 64
#define NC_MMA_TN 64
#define NC_MMA_TK 16
#define NC_MMA_APAD 4   // As row stride 20 floats: the a-fragment reads of a warp hit 32 distinct banks
#define NC_MMA_BPAD 8   // Bs row stride 72 floats: the b-fragment reads of a warp hit 32 distinct banks

enum { NC_OP_FORWARD = 0, NC_OP_BACKWARD_DATA = 1, NC_OP_BACKWARD_WEIGHT = 2 };
enum { NC_PREC_TF32 = 0, NC_PREC_BF16 = 1 };

struct nc_mma_geom
{
    int N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q;
};

template <int PREC> __device__ __forceinline__ float nc_mma_round(float v)
{
    return PREC == NC_PREC_TF32 ? nc_tf32_round(v) : nc_bf16_round(v);
}

// GEMM sizes of an op: rows M, columns Ncol, reduction length KR.
template <int OP> __device__ __forceinline__ void nc_mma_sizes(const nc_mma_geom& g, int& M, int& Ncol, int& KR)
{
    if (OP == NC_OP_FORWARD) { M = g.K; Ncol = g.N * g.P * g.Q; KR = g.C * g.R * g.S; }
    else if (OP == NC_OP_BACKWARD_DATA) { M = g.C; Ncol = g.N * g.H * g.W; KR = g.K * g.R * g.S; }
    else { M = g.K; Ncol = g.C * g.R * g.S; KR = g.N * g.P * g.Q; }
}

// A[m, kk] = a[base + m·stride], with (base, stride) depending on kk only (decoded once per slice).
template <int OP> __device__ __forceinline__ void nc_mma_a_row(const nc_mma_geom& g, int kk, int& base, int& stride)
{
    if (OP == NC_OP_FORWARD) { base = kk; stride = g.C * g.R * g.S; return; }   // w[m, kk]
    if (OP == NC_OP_BACKWARD_DATA)
    {
        int rs = g.R * g.S, k = kk / rs;   // w[k, m, t]
        base = k * g.C * rs + (kk - k * rs);
        stride = rs;
        return;
    }
    int pq = g.P * g.Q, n = kk / pq;   // dy[n, m, t]
    base = n * g.K * pq + (kk - n * pq);
    stride = pq;
}

// What B column j stands for, decoded once per thread (a thread's B column never changes):
//   forward          base = n·C·H·W, (h0, w0) = (p·sh − ph, q·sw − pw)  (the window corner)
//   backward data    base = n·K·P·Q, (h0, w0) = (h + ph, w + pw)
//   backward weight  base = c·H·W,   (h0, w0) = (r − ph, s − pw)
// ok = j < Ncol.
struct nc_mma_col
{
    int base, h0, w0;
    bool ok;
};

template <int OP> __device__ __forceinline__ nc_mma_col nc_mma_col_decode(const nc_mma_geom& g, int j, int Ncol)
{
    nc_mma_col c{0, 0, 0, j < Ncol};
    if (!c.ok) return c;
    if (OP == NC_OP_FORWARD)
    {
        int pq = g.P * g.Q, n = j / pq, u = j - n * pq, p = u / g.Q, q = u - p * g.Q;
        c.base = n * g.C * g.H * g.W; c.h0 = p * g.sh - g.ph; c.w0 = q * g.sw - g.pw;
    }
    else if (OP == NC_OP_BACKWARD_DATA)
    {
        int hw = g.H * g.W, n = j / hw, u = j - n * hw, h = u / g.W, w = u - h * g.W;
        c.base = n * g.K * g.P * g.Q; c.h0 = h + g.ph; c.w0 = w + g.pw;
    }
    else
    {
        int rs = g.R * g.S, ch = j / rs, t = j - ch * rs, r = t / g.S, s = t - r * g.S;
        c.base = ch * g.H * g.W; c.h0 = r - g.ph; c.w0 = s - g.pw;
    }
    return c;
}

// B[kk, column col] (the caller guarantees kk < KR and col.ok); 0 in the padding / at inexact taps.
template <int OP> __device__ __forceinline__ float nc_mma_b(const float* __restrict__ b, const nc_mma_geom& g, int kk, const nc_mma_col& col)
{
    if (OP == NC_OP_FORWARD)
    {
        int rs = g.R * g.S, c = kk / rs, t = kk - c * rs, r = t / g.S, s = t - r * g.S;
        int h = col.h0 + r, w = col.w0 + s;
        return (unsigned)h < (unsigned)g.H && (unsigned)w < (unsigned)g.W ? b[col.base + (c * g.H + h) * g.W + w] : 0.f;
    }
    if (OP == NC_OP_BACKWARD_DATA)
    {
        int rs = g.R * g.S, k = kk / rs, t = kk - k * rs, r = t / g.S, s = t - r * g.S;
        int ph = col.h0 - r, pw = col.w0 - s;
        if (ph < 0 || pw < 0) return 0.f;
        int p = ph / g.sh, q = pw / g.sw;
        if (p * g.sh != ph || q * g.sw != pw || p >= g.P || q >= g.Q) return 0.f;
        return b[col.base + (k * g.P + p) * g.Q + q];
    }
    int pq = g.P * g.Q, n = kk / pq, u = kk - n * pq, p = u / g.Q, q = u - p * g.Q;
    int h = p * g.sh + col.h0, w = q * g.sw + col.w0;
    return (unsigned)h < (unsigned)g.H && (unsigned)w < (unsigned)g.W ? b[n * g.C * g.H * g.W + col.base + h * g.W + w] : 0.f;
}

// Thread tid's 8 A elements of a slice: A[m0 + tid/16 + 8i, k0 + tid%16] (consecutive threads,
// consecutive reduction indices; one kk per thread, decoded once); its 8 B elements:
// B[k0 + tid/64 + 2i, its column col] (consecutive threads, consecutive columns).
template <int OP>
__device__ __forceinline__ void nc_mma_load(const float* __restrict__ a, const float* __restrict__ b, const nc_mma_geom& g,
                                            int M, int kend, int m0, int k0, int tid, const nc_mma_col& col,
                                            float (&ra)[8], float (&rb)[8])
{
    int kk = k0 + tid % NC_MMA_TK, mfirst = m0 + tid / NC_MMA_TK;
    int abase = 0, astride = 0;
    if (kk < kend) nc_mma_a_row<OP>(g, kk, abase, astride);
#pragma unroll
    for (int i = 0; i < 8; i++)
    {
        int m = mfirst + (NC_MMA_THREADS / NC_MMA_TK) * i;
        ra[i] = m < M && kk < kend ? a[abase + m * astride] : 0.f;
        int kb = k0 + tid / NC_MMA_TN + (NC_MMA_THREADS / NC_MMA_TN) * i;
        rb[i] = kb < kend && col.ok ? nc_mma_b<OP>(b, g, kb, col) : 0.f;
    }
}

// Stores thread tid's slice elements (see nc_mma_load) rounded to the precision.
template <int PREC>
__device__ __forceinline__ void nc_mma_store(float (*As)[NC_MMA_TK + NC_MMA_APAD], float (*Bs)[NC_MMA_TN + NC_MMA_BPAD], int tid,
                                             const float (&ra)[8], const float (&rb)[8])
{
#pragma unroll
    for (int i = 0; i < 8; i++)
    {
        As[tid / NC_MMA_TK + (NC_MMA_THREADS / NC_MMA_TK) * i][tid % NC_MMA_TK] = nc_mma_round<PREC>(ra[i]);
        Bs[tid / NC_MMA_TN + (NC_MMA_THREADS / NC_MMA_TN) * i][tid % NC_MMA_TN] = nc_mma_round<PREC>(rb[i]);
    }
}

// acc[mi][ni] += the warp's (wm + 16mi, wn + 8ni) 16×8 tile of As·Bs over one 16-deep slice.
template <int PREC>
__device__ __forceinline__ void nc_mma_slice(const float (*As)[NC_MMA_TK + NC_MMA_APAD], const float (*Bs)[NC_MMA_TN + NC_MMA_BPAD],
                                             int wm, int wn, int g, int t, float (&acc)[2][4][4])
{
    if (PREC == NC_PREC_TF32)
    {
#pragma unroll
        for (int ks = 0; ks < NC_MMA_TK; ks += 8)
        {
            unsigned af[2][4], bf[4][2];
#pragma unroll
            for (int mi = 0; mi < 2; mi++)
            {
                int r = wm + 16 * mi + g;
                af[mi][0] = __float_as_uint(As[r][ks + t]);
                af[mi][1] = __float_as_uint(As[r + 8][ks + t]);
                af[mi][2] = __float_as_uint(As[r][ks + t + 4]);
                af[mi][3] = __float_as_uint(As[r + 8][ks + t + 4]);
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++)
            {
                int c = wn + 8 * ni + g;
                bf[ni][0] = __float_as_uint(Bs[ks + t][c]);
                bf[ni][1] = __float_as_uint(Bs[ks + t + 4][c]);
            }
#pragma unroll
            for (int mi = 0; mi < 2; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) nc_mma_tf32_m16n8k8(acc[mi][ni], af[mi], bf[ni]);
        }
    }
    else
    {
        unsigned af[2][4], bf[4][2];
#pragma unroll
        for (int mi = 0; mi < 2; mi++)
        {
            int r = wm + 16 * mi + g;
            af[mi][0] = nc_bf16x2_from_rounded(As[r][2 * t], As[r][2 * t + 1]);
            af[mi][1] = nc_bf16x2_from_rounded(As[r + 8][2 * t], As[r + 8][2 * t + 1]);
            af[mi][2] = nc_bf16x2_from_rounded(As[r][2 * t + 8], As[r][2 * t + 9]);
            af[mi][3] = nc_bf16x2_from_rounded(As[r + 8][2 * t + 8], As[r + 8][2 * t + 9]);
        }
#pragma unroll
        for (int ni = 0; ni < 4; ni++)
        {
            int c = wn + 8 * ni + g;
            bf[ni][0] = nc_bf16x2_from_rounded(Bs[2 * t][c], Bs[2 * t + 1][c]);
            bf[ni][1] = nc_bf16x2_from_rounded(Bs[2 * t + 8][c], Bs[2 * t + 9][c]);
        }
#pragma unroll
        for (int mi = 0; mi < 2; mi++)
#pragma unroll
            for (int ni = 0; ni < 4; ni++) nc_mma_bf16_m16n8k16(acc[mi][ni], af[mi], bf[ni]);
    }
}

// Where GEMM element (row m, column j) lives in the op's output (slot 0).
template <int OP> __device__ __forceinline__ int nc_mma_out_index(const nc_mma_geom& g, int m, int j)
{
    if (OP == NC_OP_FORWARD)
    {
        int pq = g.P * g.Q, n = j / pq;
        return (n * g.K + m) * pq + (j - n * pq);
    }
    if (OP == NC_OP_BACKWARD_DATA)
    {
        int hw = g.H * g.W, n = j / hw;
        return (n * g.C + m) * hw + (j - n * hw);
    }
    return m * (g.C * g.R * g.S) + j;
}

// Block (bx, by, bz): rows by·64 …, columns bx·64 …, reduction [bz·chunk, min((bz+1)·chunk, KR)).
// out receives slot bz (offset bz·M·Ncol) when gridDim.z > 1; bias (forward only) may be null.
template <int OP, int PREC>
__device__ __forceinline__ void nc_conv_mma(const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ bias,
                                            float* __restrict__ out, const nc_mma_geom& g, int chunk)
{
    __shared__ __align__(16) float As[2][NC_MMA_TM][NC_MMA_TK + NC_MMA_APAD];
    __shared__ __align__(16) float Bs[2][NC_MMA_TK][NC_MMA_TN + NC_MMA_BPAD];
    int M, Ncol, KR;
    nc_mma_sizes<OP>(g, M, Ncol, KR);
    int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, gid = lane >> 2, tig = lane & 3;
    int m0 = blockIdx.y * NC_MMA_TM, j0 = blockIdx.x * NC_MMA_TN;
    int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    int kbegin = blockIdx.z * chunk, kend = min(KR, kbegin + chunk);

    float acc[2][4][4];
#pragma unroll
    for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[mi][ni][c] = 0.f;

    nc_mma_col col = nc_mma_col_decode<OP>(g, j0 + tid % NC_MMA_TN, Ncol);
    float ra[8], rb[8];
    int slices = kend > kbegin ? (kend - kbegin + NC_MMA_TK - 1) / NC_MMA_TK : 0;
    if (slices > 0)
    {
        nc_mma_load<OP>(a, b, g, M, kend, m0, kbegin, tid, col, ra, rb);
        nc_mma_store<PREC>(As[0], Bs[0], tid, ra, rb);
    }
    __syncthreads();
    for (int s = 0; s < slices; s++)
    {
        int cur = s & 1;
        bool more = s + 1 < slices;
        if (more) nc_mma_load<OP>(a, b, g, M, kend, m0, kbegin + (s + 1) * NC_MMA_TK, tid, col, ra, rb);
        nc_mma_slice<PREC>(As[cur], Bs[cur], wm, wn, gid, tig, acc);
        // The other buffer's last reader was slice s−1's mma, before the previous barrier.
        if (more) nc_mma_store<PREC>(As[cur ^ 1], Bs[cur ^ 1], tid, ra, rb);
        __syncthreads();
    }

    float* dst = out + (long long)blockIdx.z * M * Ncol;
#pragma unroll
    for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++)
            {
                int m = m0 + wm + 16 * mi + gid + 8 * (c >> 1), j = j0 + wn + 8 * ni + 2 * tig + (c & 1);
                if (m < M && j < Ncol)
                    dst[nc_mma_out_index<OP>(g, m, j)] = acc[mi][ni][c] + (OP == NC_OP_FORWARD && bias && blockIdx.z == 0 ? bias[m] : 0.f);
            }
}

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]); chunk ≥ C·R·S.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_forward_mma_tf32_kernel(
    const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_TF32>(w, x, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ_{k,r,s} round(w[k,c,r,s]) · round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) over exact taps; chunk ≥ K·R·S.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_backward_data_mma_tf32_kernel(
    const float* __restrict__ dy, const float* __restrict__ w, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_TF32>(w, dy, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_backward_weight_mma_tf32_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_TF32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]); chunk ≥ C·R·S.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_forward_mma_bf16_kernel(
    const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_BF16>(w, x, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ_{k,r,s} round(w[k,c,r,s]) · round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) over exact taps; chunk ≥ K·R·S.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_backward_data_mma_bf16_kernel(
    const float* __restrict__ dy, const float* __restrict__ w, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_BF16>(w, dy, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(NC_MMA_THREADS) conv2d_backward_weight_mma_bf16_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

NC_EXPORT_KERNEL(conv2d_forward_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_kernel);
