// conv.cu — 2-D convolution of NCHW tensors as implicit GEMM: the im2col matrix is never
// written; every block gathers the slice of it that it needs straight into shared memory.
// Geometry (ConvShape, as Conv2dGeometry): x [N,C,H,W], w [K,C,R,S], y [N,K,P,Q],
// P = (H + 2·ph − R)/sh + 1, Q likewise. The three primitives are three GEMMs:
//
//   forward          y[n,k,p,q]  = Σ_{c,r,s} w[k,c,r,s] · x[n, c, p·sh−ph+r, q·sw−pw+s]  (+ bias[k])
//                    rows k (K) × columns pixel (n,p,q) (N·P·Q), reduction (c,r,s) (C·R·S)
//   backward data    dx[n,c,h,w] = Σ_{k,r,s} w[k,c,r,s] · dy[n, k, (h+ph−r)/sh, (w+pw−s)/sw]
//                    over the taps whose quotients are exact and inside [0,P)×[0,Q)
//                    one GEMM per stride phase (grid z): rows c (C) × the phase's pixels ×
//                    reduction over the phase's taps only (k, r ≡ phase mod sh, s likewise).
//                    A gather per input pixel: no atomics, every dx element written exactly once.
//   backward weight  dw[k,c,r,s] = Σ_{n,p,q} dy[n,k,p,q] · x[n, c, p·sh−ph+r, q·sw−pw+s]
//                    rows k (K) × columns tap (c,r,s) (C·R·S), reduction (n,p,q) (N·P·Q), split
//                    over blockIdx.z into partial sums that conv2d_backward_weight_reduce_kernel
//                    adds in a fixed order (deterministic; the reduction is long, the output small).
//
// One tile engine serves all three (nc_conv_mainloop): a 64×128 output tile per 256-thread
// block, reduction in 16-deep slices staged in double-buffered shared memory, each thread
// accumulating a 4×8 register tile from 128-bit shared loads (32 FMAs per 3 loads). The next
// slice's global loads are issued into registers before the current slice's FMAs, so their
// latency hides behind arithmetic; one barrier per slice.
//
// What a reduction index means (which input channel and filter tap, or which image and output
// pixel) is decoded once per slice by 16 threads into a small table (nc_conv_tap), so the other
// threads never divide. Because the reduction runs over (c,r,s) flattened, the first layer's
// C = 1 or 3 needs no special kernel: 3·3·3 = 27 is two slices, not nine slices padded from 3 to 16
// channels.
//
// Index arithmetic is 32-bit: the launcher (ConvKernels.cs) checks every tensor has < 2³¹ elements.
#include "nc_cuda.cuh"

#define NC_CONV_BM 64          // tile rows (output channels, or input channels for backward data)
#define NC_CONV_BN 128         // tile columns (pixels, or filter taps for backward weight)
#define NC_CONV_BK 16          // reduction slice depth
#define NC_CONV_THREADS 256
#define NC_CONV_AS (NC_CONV_BM + 4)   // row stride of the A tile: a multiple of 4 (16-byte loads), and the +4 spreads its transposed stores over banks
#define NC_CONV_BS (NC_CONV_BN + 4)   // row stride of the B tile, likewise

// What reduction index k0 + kk of the current slice stands for. B's element is at
// col.off + tap.off and (for forward and backward weight) at input coordinates
// (col.h + tap.h, col.w + tap.w); a_off locates A's element. a_off < 0 marks a row past the end
// of the reduction: A and B read as 0 there.
struct __align__(16) nc_conv_tap
{
    int off, h, w, a_off;
};

struct __align__(16) nc_f4
{
    float x, y, z, w;
};

struct nc_conv_smem
{
    float a[2][NC_CONV_BK][NC_CONV_AS];   // a[buf][kk][m] = A[m0 + m, k0 + kk]
    float b[2][NC_CONV_BK][NC_CONV_BS];   // b[buf][kk][j] = B[k0 + kk, j0 + j]
    nc_conv_tap tap[2][NC_CONV_BK];       // tap[buf][kk]: meaning of reduction index k0 + kk
    nc_conv_tap col[NC_CONV_BN];          // backward weight only: meaning of column j0 + j
};

__device__ __forceinline__ nc_conv_tap nc_conv_no_tap()
{
    nc_conv_tap t;
    t.off = 0; t.h = 0; t.w = 0; t.a_off = -1;
    return t;
}

// Thread t's A registers hold A[m0 + t/16 + 16i, k0 + t%16] (i < 4): consecutive threads read
// consecutive reduction indices, contiguous in w and dy. Its B registers hold, column-major,
// B[k0 + t/128 + 2i, j0 + t%128] (consecutive threads: consecutive pixels), or reduction-major,
// B[k0 + t%16, j0 + t/16 + 16i] (consecutive threads: consecutive output pixels of backward weight).
__device__ __forceinline__ void nc_conv_stage(nc_conv_smem& sm, int buf, const float ra[4], const float rb[8], bool b_reduction_major)
{
    int t = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 4; i++) sm.a[buf][t & 15][(t >> 4) + 16 * i] = ra[i];
    if (b_reduction_major)
    {
#pragma unroll
        for (int i = 0; i < 8; i++) sm.b[buf][t & 15][(t >> 4) + 16 * i] = rb[i];
    }
    else
    {
#pragma unroll
        for (int i = 0; i < 8; i++) sm.b[buf][(t >> 7) + 2 * i][t & 127] = rb[i];
    }
}

// acc[i][j] += Σ_kk A[tm·4 + i, kk] · B[kk, col_j] over one slice, with col_j = tn·4 + j for
// j < 4 and 64 + tn·4 + (j − 4) for j ≥ 4 (two 4-wide groups: a warp's 128-bit loads of a B row
// then cover 256 contiguous bytes, conflict-free).
__device__ __forceinline__ void nc_conv_mma_slice(const float (*a)[NC_CONV_AS], const float (*b)[NC_CONV_BS], int tm, int tn, float acc[4][8])
{
#pragma unroll
    for (int kk = 0; kk < NC_CONV_BK; kk++)
    {
        nc_f4 av = *reinterpret_cast<const nc_f4*>(&a[kk][tm * 4]);
        nc_f4 b0 = *reinterpret_cast<const nc_f4*>(&b[kk][tn * 4]);
        nc_f4 b1 = *reinterpret_cast<const nc_f4*>(&b[kk][64 + tn * 4]);
        float ar[4] = { av.x, av.y, av.z, av.w };
        float br[8] = { b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w };
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int j = 0; j < 8; j++) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
    }
}

// The tile engine. Problem supplies
//   tap(k, kend)       the meaning of reduction index k (nc_conv_no_tap() when k ≥ kend),
//   load(taps, ra, rb) this thread's A and B elements of the slice described by taps[0..15],
//   b_reduction_major  which B staging layout its load uses.
// Invariant after the call: acc[i][j] = Σ_{k ∈ [kbegin, kend)} A[row i, k] · B[k, col j].
// Pipeline: slice t is in shared buffer t&1; while it is multiplied, slice t+1's loads are in
// flight into registers and 16 threads decode slice t+2's taps into tap[t&1] (whose last reader,
// slice t's load, finished before the previous barrier).
template <class Problem>
__device__ __forceinline__ void nc_conv_mainloop(const Problem& pb, nc_conv_smem& sm, int kbegin, int kend, float acc[4][8])
{
    int tid = threadIdx.x, tm = tid >> 4, tn = tid & 15;
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.f;
    int slices = kend > kbegin ? (kend - kbegin + NC_CONV_BK - 1) / NC_CONV_BK : 0;
    if (slices == 0) return;   // the same for the whole block

    float ra[4], rb[8];
    if (tid < NC_CONV_BK) sm.tap[0][tid] = pb.tap(kbegin + tid, kend);
    __syncthreads();   // slice 0's taps (and, for backward weight, the column table) visible
    pb.load(sm.tap[0], ra, rb);
    nc_conv_stage(sm, 0, ra, rb, Problem::b_reduction_major);
    if (slices > 1 && tid < NC_CONV_BK) sm.tap[1][tid] = pb.tap(kbegin + NC_CONV_BK + tid, kend);
    __syncthreads();   // slice 0 staged, slice 1's taps decoded

    for (int t = 0; t < slices; t++)
    {
        int cur = t & 1, nxt = cur ^ 1;
        bool more = t + 1 < slices;
        if (more) pb.load(sm.tap[nxt], ra, rb);
        nc_conv_mma_slice(sm.a[cur], sm.b[cur], tm, tn, acc);
        if (more) nc_conv_stage(sm, nxt, ra, rb, Problem::b_reduction_major);
        if (t + 2 < slices && tid < NC_CONV_BK) sm.tap[cur][tid] = pb.tap(kbegin + (t + 2) * NC_CONV_BK + tid, kend);
        __syncthreads();   // slice t+1 staged and slice t+2's taps decoded before anyone reads them; buffer cur free again
    }
}

// Column j (0..7) of this thread's register tile within the block's 128 columns.
__device__ __forceinline__ int nc_conv_tile_col(int tn, int j)
{
    return j < 4 ? tn * 4 + j : 64 + tn * 4 + (j - 4);
}

// ---------------------------------------------------------------------------------------------
// Forward: A = w viewed as [K, C·R·S]; B[(c,r,s), (n,p,q)] = x[n, c, p·sh−ph+r, q·sw−pw+s] (0 in
// the padding). The thread's B column is one output pixel, whose window corner (h0, w0) and
// base offset are computed once; a tap adds c·H·W + r·W + s and (r, s).
struct nc_conv_forward_problem
{
    static constexpr bool b_reduction_major = false;
    const float* x;
    const float* w;
    int H, W, S, RS, HW, CRS, K;
    int a_row;                  // first A row (output channel) this thread loads
    int px_off, px_h, px_w;     // x offset of the window corner, and its coordinates
    bool px_ok;                 // the column is a real pixel (the last tile may be partial)

    __device__ nc_conv_tap tap(int crs, int kend) const
    {
        if (crs >= kend) return nc_conv_no_tap();
        int c = crs / RS, rs = crs - c * RS, r = rs / S, s = rs - r * S;
        nc_conv_tap t;
        t.off = c * HW + r * W + s; t.h = r; t.w = s; t.a_off = crs;
        return t;
    }

    __device__ void load(const nc_conv_tap* taps, float ra[4], float rb[8]) const
    {
        int tid = threadIdx.x;
        nc_conv_tap ta = taps[tid & 15];
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            int k = a_row + 16 * i;
            ra[i] = (ta.a_off >= 0 && k < K) ? __ldg(&w[k * CRS + ta.a_off]) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            nc_conv_tap tb = taps[(tid >> 7) + 2 * i];
            int h = px_h + tb.h, ww = px_w + tb.w;
            bool inside = px_ok && tb.a_off >= 0 && (unsigned)h < (unsigned)H && (unsigned)ww < (unsigned)W;
            rb[i] = inside ? __ldg(&x[px_off + tb.off]) : 0.f;
        }
    }
};

// Blocks per SM the forward asks ptxas for: 3 (80 registers, 38 % occupancy) on sm_90, where it
// fits without spilling; 2 (25 %) below, where 80 registers spill 72 bytes.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define NC_CONV_FORWARD_BLOCKS 3
#else
#define NC_CONV_FORWARD_BLOCKS 2
#endif

// y[n,k,p,q] = Σ_{c,r,s} w[k,c,r,s] · x[n,c,p·sh−ph+r,q·sw−pw+s] + (bias ? bias[k] : 0).
// Block (bx, by) computes channels by·64 … +63 of pixels bx·128 … +127 (pixel = (n·P + p)·Q + q).
extern "C" __global__ void __launch_bounds__(NC_CONV_THREADS, NC_CONV_FORWARD_BLOCKS)
conv2d_forward_kernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias, float* __restrict__ y,
                      int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q)
{
    __shared__ nc_conv_smem sm;
    int tid = threadIdx.x, m0 = blockIdx.y * NC_CONV_BM, j0 = blockIdx.x * NC_CONV_BN;
    int PQ = P * Q, pixels = N * PQ;

    nc_conv_forward_problem pb;
    pb.x = x; pb.w = w; pb.H = H; pb.W = W; pb.S = S; pb.RS = R * S; pb.HW = H * W; pb.CRS = C * R * S; pb.K = K;
    pb.a_row = m0 + (tid >> 4);
    int j = j0 + (tid & 127);
    pb.px_ok = j < pixels;
    int n = pb.px_ok ? j / PQ : 0, pq = j - n * PQ, p = pb.px_ok ? pq / Q : 0, q = pq - p * Q;
    pb.px_h = p * sh - ph;
    pb.px_w = q * sw - pw;
    pb.px_off = n * C * pb.HW + pb.px_h * W + pb.px_w;

    float acc[4][8];
    nc_conv_mainloop(pb, sm, 0, pb.CRS, acc);

    int tm = tid >> 4, tn = tid & 15;
#pragma unroll
    for (int jj = 0; jj < 8; jj++)
    {
        int col = j0 + nc_conv_tile_col(tn, jj);
        if (col >= pixels) continue;
        int cn = col / PQ, cpq = col - cn * PQ;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            int k = m0 + tm * 4 + i;
            if (k < K) y[(cn * K + k) * PQ + cpq] = acc[i][jj] + (bias ? bias[k] : 0.f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backward data, by stride phase. Tap r reaches input row h only when (h + ph − r) % sh == 0, so
// the input rows split into sh phases ρ = (h + ph) mod sh, and phase ρ needs only the taps
// r = ρ + sh·a (a < Rρ = ⌈(R − ρ)/sh⌉); columns likewise. Grid z enumerates the sh·sw phases
// (zh, zw); in phase (zh, zw) the GEMM is rows c (C) × columns (n, i, j) over the phase's pixels
// h = h0 + sh·i, w = w0 + sw·j (N·Hρ·Wρ) × reduction (k, a, b) (K·Rρ·Sρ): 1/4 of the naive MACs for
// a 3×3/2 conv, 1/9 for 3×3/3, all of them for stride 1 (one phase). With h0 + ph = zh + sh·bh
// (bh ≥ 0), the output row is p = (h + ph − r)/sh = bh + i − a exactly: the gather never divides.
// A tap holds k·P·Q − a·Q − b, (−a, −b) and the weight offset k·C·R·S + r·S + s.
struct nc_conv_backward_data_problem
{
    static constexpr bool b_reduction_major = false;
    const float* dy;
    const float* w;
    int S, RS, CRS, PQ, P, Q, C;
    int zh, zw, sh, sw, Sp, RSp;   // phase, strides, taps per phase: Sp = Sρ, RSp = Rρ·Sρ
    int a_row;                  // first A row (input channel) this thread loads
    int px_off, px_p, px_q;     // n·K·P·Q + (bh + i)·Q + (bw + j), and (bh + i, bw + j)
    bool px_ok;

    __device__ nc_conv_tap tap(int kab, int kend) const
    {
        if (kab >= kend) return nc_conv_no_tap();
        int k = kab / RSp, ab = kab - k * RSp, a = ab / Sp, b = ab - a * Sp;
        nc_conv_tap t;
        t.off = k * PQ - a * Q - b; t.h = -a; t.w = -b; t.a_off = k * CRS + (zh + sh * a) * S + zw + sw * b;
        return t;
    }

    __device__ void load(const nc_conv_tap* taps, float ra[4], float rb[8]) const
    {
        int tid = threadIdx.x;
        nc_conv_tap ta = taps[tid & 15];
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            int c = a_row + 16 * i;
            ra[i] = (ta.a_off >= 0 && c < C) ? __ldg(&w[ta.a_off + c * RS]) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            nc_conv_tap tb = taps[(tid >> 7) + 2 * i];
            int p = px_p + tb.h, q = px_q + tb.w;
            bool inside = px_ok && tb.a_off >= 0 && (unsigned)p < (unsigned)P && (unsigned)q < (unsigned)Q;
            rb[i] = inside ? __ldg(&dy[px_off + tb.off]) : 0.f;
        }
    }
};

// First row h0 ≥ 0 of phase z ((h0 + pad) mod stride = z), how many rows the phase has below
// `size`, and its taps below `taps` (⌈(taps − z)/stride⌉, 0 when z ≥ taps).
__device__ __forceinline__ void nc_conv_phase(int z, int stride, int pad, int size, int taps, int& first, int& count, int& ntaps)
{
    first = ((z - pad) % stride + stride) % stride;
    count = first < size ? (size - first + stride - 1) / stride : 0;
    ntaps = z < taps ? (taps - z + stride - 1) / stride : 0;
}

// dx[n,c,h,w] = Σ_{k,r,s} w[k,c,r,s] · dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw] (exact, in-range taps only).
// Block (bx, by, z) computes input channels by·64 … +63 of pixels bx·128 … +127 of phase
// z = zh·sw + zw (pixel = (n·Hρ + i)·Wρ + j). The grid's x covers the largest phase; the blocks
// past a smaller phase's end return. Every dx element belongs to one phase and is written once
// (a phase without taps writes zeros). Overwrites dx.
extern "C" __global__ void __launch_bounds__(NC_CONV_THREADS, 3)
conv2d_backward_data_kernel(const float* __restrict__ dy, const float* __restrict__ w, float* __restrict__ dx,
                            int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q)
{
    __shared__ nc_conv_smem sm;
    int zh = blockIdx.z / sw, zw = blockIdx.z - zh * sw;
    int h0, Hp, Rp, w0, Wp, Sp;
    nc_conv_phase(zh, sh, ph, H, R, h0, Hp, Rp);
    nc_conv_phase(zw, sw, pw, W, S, w0, Wp, Sp);
    int tid = threadIdx.x, m0 = blockIdx.y * NC_CONV_BM, j0 = blockIdx.x * NC_CONV_BN;
    int HWp = Hp * Wp, pixels = N * HWp, HW = H * W;
    if (j0 >= pixels) return;   // the whole block: this phase is smaller than the grid

    nc_conv_backward_data_problem pb;
    pb.dy = dy; pb.w = w; pb.S = S; pb.RS = R * S; pb.CRS = C * R * S; pb.PQ = P * Q; pb.P = P; pb.Q = Q; pb.C = C;
    pb.zh = zh; pb.zw = zw; pb.sh = sh; pb.sw = sw; pb.Sp = Sp; pb.RSp = Rp * Sp;
    pb.a_row = m0 + (tid >> 4);
    int j = j0 + (tid & 127);
    pb.px_ok = j < pixels;
    int n = pb.px_ok ? j / HWp : 0, ij = j - n * HWp, i = pb.px_ok ? ij / Wp : 0, jj0 = ij - i * Wp;
    pb.px_p = (h0 + ph - zh) / sh + i;
    pb.px_q = (w0 + pw - zw) / sw + jj0;
    pb.px_off = n * K * pb.PQ + pb.px_p * Q + pb.px_q;

    float acc[4][8];
    nc_conv_mainloop(pb, sm, 0, K * pb.RSp, acc);

    int tm = tid >> 4, tn = tid & 15;
#pragma unroll
    for (int jj = 0; jj < 8; jj++)
    {
        int col = j0 + nc_conv_tile_col(tn, jj);
        if (col >= pixels) continue;
        int cn = col / HWp, cij = col - cn * HWp, ci = cij / Wp, cj = cij - ci * Wp;
        int pix = (h0 + sh * ci) * W + w0 + sw * cj;
#pragma unroll
        for (int r = 0; r < 4; r++)
        {
            int c = m0 + tm * 4 + r;
            if (c < C) dx[(cn * C + c) * HW + pix] = acc[r][jj];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backward weight: A[k, (n,p,q)] = dy[n,k,p,q]; B[(n,p,q), (c,r,s)] = x[n, c, p·sh−ph+r, q·sw−pw+s].
// A tap (one output pixel) holds the x offset of its window corner, the corner (h0, w0) and
// n·K·P·Q + p·Q + q; a column (one filter tap) holds c·H·W + r·W + s and (r, s). Each thread
// stages 8 different columns, so the column table lives in shared memory (sm.col).
struct nc_conv_backward_weight_problem
{
    static constexpr bool b_reduction_major = true;
    const float* x;
    const float* dy;
    const nc_conv_tap* col;     // sm.col
    int H, W, Q, PQ, CHW, KPQ, K, sh, sw, ph, pw;
    int a_row;                  // first A row (output channel) this thread loads

    __device__ nc_conv_tap tap(int npq, int kend) const
    {
        if (npq >= kend) return nc_conv_no_tap();
        int n = npq / PQ, pq = npq - n * PQ, p = pq / Q, q = pq - p * Q;
        nc_conv_tap t;
        t.h = p * sh - ph; t.w = q * sw - pw;
        t.off = n * CHW + t.h * W + t.w; t.a_off = n * KPQ + pq;
        return t;
    }

    __device__ void load(const nc_conv_tap* taps, float ra[4], float rb[8]) const
    {
        int tid = threadIdx.x;
        nc_conv_tap t = taps[tid & 15];   // A and B of this thread share the reduction index
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            int k = a_row + 16 * i;
            ra[i] = (t.a_off >= 0 && k < K) ? __ldg(&dy[t.a_off + k * PQ]) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            nc_conv_tap c = col[(tid >> 4) + 16 * i];
            int h = t.h + c.h, ww = t.w + c.w;
            bool inside = t.a_off >= 0 && c.a_off >= 0 && (unsigned)h < (unsigned)H && (unsigned)ww < (unsigned)W;
            rb[i] = inside ? __ldg(&x[t.off + c.off]) : 0.f;
        }
    }
};

// out[z, k, crs] = Σ_{(n,p,q) ∈ chunk z} dy[n,k,p,q] · x[n,c,p·sh−ph+r,q·sw−pw+s] for chunk z =
// [z·chunk, min((z+1)·chunk, N·P·Q)). Block (bx, by, z) computes channels by·64 … +63 of taps
// bx·128 … +127. With one split, out is dw itself.
extern "C" __global__ void __launch_bounds__(NC_CONV_THREADS, 3)
conv2d_backward_weight_kernel(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ out,
                              int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    __shared__ nc_conv_smem sm;
    int tid = threadIdx.x, m0 = blockIdx.y * NC_CONV_BM, j0 = blockIdx.x * NC_CONV_BN;
    int RS = R * S, CRS = C * RS, HW = H * W, PQ = P * Q, total = N * PQ;

    if (tid < NC_CONV_BN)   // column table; the main loop's first barrier publishes it
    {
        int crs = j0 + tid;
        if (crs < CRS)
        {
            int c = crs / RS, rs = crs - c * RS, r = rs / S, s = rs - r * S;
            sm.col[tid].off = c * HW + r * W + s; sm.col[tid].h = r; sm.col[tid].w = s; sm.col[tid].a_off = crs;
        }
        else sm.col[tid] = nc_conv_no_tap();
    }

    nc_conv_backward_weight_problem pb;
    pb.x = x; pb.dy = dy; pb.col = sm.col; pb.H = H; pb.W = W; pb.Q = Q; pb.PQ = PQ; pb.CHW = C * HW; pb.KPQ = K * PQ;
    pb.K = K; pb.sh = sh; pb.sw = sw; pb.ph = ph; pb.pw = pw;
    pb.a_row = m0 + (tid >> 4);

    int kbegin = blockIdx.z * chunk, kend = min(kbegin + chunk, total);
    float acc[4][8];
    nc_conv_mainloop(pb, sm, kbegin, kend, acc);

    float* o = out + (long long)blockIdx.z * K * CRS;
    int tm = tid >> 4, tn = tid & 15;
#pragma unroll
    for (int jj = 0; jj < 8; jj++)
    {
        int crs = j0 + nc_conv_tile_col(tn, jj);
        if (crs >= CRS) continue;
#pragma unroll
        for (int i = 0; i < 4; i++)
        {
            int k = m0 + tm * 4 + i;
            if (k < K) o[k * CRS + crs] = acc[i][jj];
        }
    }
}

// dw[i] = Σ_{z < splits} partial[z·len + i], z ascending (the same bits on every run).
extern "C" __global__ void conv2d_backward_weight_reduce_kernel(const float* __restrict__ partial, float* __restrict__ dw, int splits, int len)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x)
    {
        float s = partial[i];   // slot 0 itself, not 0 + slot 0: a −0 stays −0
        for (int z = 1; z < splits; z++) s += partial[(long long)z * len + i];
        dw[i] = s;
    }
}

// out[i] = bf16(Σ_{z < splits} partial[z·len + i]), z ascending: the reduce above, then rounded to
// bf16 (a Bf16Tensor's bits). With splits = 1 it is the rounding alone: the bf16 output of an fp32
// (this file) or tf32 convolution, and of a split bf16 one (conv_mma.cu).
extern "C" __global__ void conv2d_reduce_bf16_kernel(const float* __restrict__ partial, unsigned short* __restrict__ out, int splits, int len)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x)
    {
        float s = partial[i];   // slot 0 itself, not 0 + slot 0: a −0 stays −0
        for (int z = 1; z < splits; z++) s += partial[(long long)z * len + i];
        out[i] = nc_float_to_bf16(s);
    }
}

// dbias[k] = Σ_{n,p,q} dy[n,k,p,q]: block k; its threads stride the N·P·Q values (in runs of P·Q
// contiguous floats), then warp shuffles and one shared-memory step add the 256 partial sums.
extern "C" __global__ void conv2d_backward_bias_kernel(const float* __restrict__ dy, float* __restrict__ dbias, int N, int K, int PQ)
{
    __shared__ float warp_sums[32];
    int k = blockIdx.x, tid = threadIdx.x;
    float v = 0.f;
    for (int n = 0; n < N; n++)
    {
        const float* plane = dy + ((long long)n * K + k) * PQ;
        for (int i = tid; i < PQ; i += blockDim.x) v += plane[i];
    }
    v = nc_warp_sum(v);
    if ((tid & 31) == 0) warp_sums[tid >> 5] = v;
    __syncthreads();
    if (tid < 32)
    {
        v = nc_warp_sum(tid < (int)(blockDim.x >> 5) ? warp_sums[tid] : 0.f);
        if (tid == 0) dbias[k] = v;
    }
}

NC_EXPORT_KERNEL(conv2d_forward_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_reduce_kernel);
NC_EXPORT_KERNEL(conv2d_reduce_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_bias_kernel);
