// conv_mma.cu — 2-D convolution of NCHW fp32 tensors as implicit GEMM on tensor cores, for
// --precision tf32 and bf16 (sm_80+; the fp32 path is conv.cu). Same three GEMMs as conv.cu:
//
//   forward          rows k (K)  × columns (n,p,q) (N·P·Q), reduction (r,s,c) (R·S·Cp)
//                    A[k,(r,s,c)] = w[k,c,r,s],  B[(r,s,c),(n,p,q)] = x[n,c,p·sh−ph+r,q·sw−pw+s]
//   backward data    per stride phase (the pixels h ≡ h0c, w ≡ w0c mod the strides; nc_mma_phase,
//                    the launcher's StridePhase; all phases in one launch, blockIdx.z = split·sh·sw +
//                    phase): rows c (C) × columns (n,h,w) of the phase (N·Hc·Wc), reduction over
//                    the phase's taps (r,s) = (r0 + a·sh, s0 + b·sw) and k (Rc·Sc·Kp)
//                    A[c,(a,b,k)] = w[k,c,r,s],  B[(a,b,k),(n,h,w)] = dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]
//                    (exact divisions: only the taps that reach a pixel are visited, ¼ of them at
//                    stride 2), 0 out of range (a gather: no atomics)
//   backward weight  rows k (K)  × columns (c,r,s) (C·R·S), reduction (n,p,q) (N·P·Q)
//                    A[k,(n,p,q)] = dy[n,k,p,q], B[(n,p,q),(c,r,s)] = x[n,c,p·sh−ph+r,q·sw−pw+s]
//
// Forward and backward data run their reduction tap-major: index t·Rp + c for tap t = r·S + s and
// channel c < Rp, the channel count (C, or K) rounded up to 16 with zeros after the real channels.
// A 16-deep slice is then 16 channels of one tap. Both operands come packed, each by its own
// kernel once per launch, rounded there (tf32, or bf16 bits): A is the weight packed that way
// (conv2d_pack_weight_*), B the activation channels-last, Rp channels per pixel
// (conv2d_pack_channels_last_*), so that a slice of a B column is 16 consecutive elements of one
// pixel. A block copies both tiles 16 bytes at a time by cp.async, with one bounds check per B
// piece per slice and no conversion (nc_mma_feed_packed); a layer with fewer than 16 channels (the
// stem: 1 or 3) multiplies zeros for the rest. Backward weight reduces
// over pixels and images: pixel-major with dy's rows copied whole where the pixel counts allow
// (nc_mma_feed_walk's ROWS), else image-major when N is a multiple of 16 (nc_mma_feed_images: a
// slice is one pixel of 16 images, so a B column is checked once per slice), else element by element
// (nc_mma_feed_walk).
//
// Split-K (all three; the launcher splits when the output has too few tiles to fill the device,
// typically backward weight): split z (blockIdx.z; backward data: blockIdx.z / (sh·sw)) takes
// reduction indices [z·chunk, (z+1)·chunk) and writes slot z (offset z·|output|) of a workspace,
// which conv.cu's conv2d_backward_weight_reduce_kernel adds in a fixed order (deterministic, no
// atomics). A backward-data phase whose reduction ends before split z writes zeros there, so every
// slot is whole. The forward bias goes into slot 0 only.
//
// bf16 output (conv2d_forward_mma_bf16[_m128]_out_bf16_kernel, one split only): the epilogue rounds
// each output to bf16 (RNE) and stores its 16 bits, for batch norm to read (a Bf16Tensor). A split
// forward writes fp32 slots as usual and conv.cu's conv2d_reduce_bf16_kernel adds them in the same order,
// then rounds: either way the stored value is round(the fp32 output).
//
// Tiling: a TM×64 output tile per block, TM = 64 or 128 (the launcher picks 128 for GEMMs of ≥ 128
// rows); forward and backward data give each warp 64×32 (4×4 mma tiles of 16×8: TM/64 × 2 warps),
// backward weight 32×32 (2×4 mma tiles: TM/32 × 2 warps, whose gathers want the threads; see
// nc_mma_tile); the reduction in 16-deep slices (two m16n8k8 tf32 steps or one m16n8k16 bf16
// step). Both shared tiles are stored k-contiguous, As[row][k] and Bs[column][k], so that every
// A and B fragment is one ldmatrix.x4 (nc_mma.cuh): an 8×4 fp32 block or an 8×8 bf16 block is a
// b16 8×8 matrix whose lane word is exactly the fragment register. The two precisions feed the
// tiles differently:
//   tf32  cp.async.ca copies (packed operands 16 bytes at a time, gathered elements 4 bytes each,
//         zero-filled outside the tensor) into a 3-stage ring of fp32 tiles: slices s+1 and s+2
//         are in flight while slice s is multiplied, with no staging registers. cp.async cannot
//         convert, so the tiles hold fp32 and each gathered operand's fragment register is rounded
//         (cvt.rna) after its ldmatrix (a packed operand is rounded already).
//   bf16  packed operands (forward, backward data) go to the bf16 tiles by cp.async as they are,
//         through the same 3-stage ring. Backward weight's gathered fp32 values go through
//         registers (slice s+1's loads are issued before slice s's mma), are rounded to bf16 (RNE)
//         and stored as bf16 into a double-buffered tile; a tensor already stored in bf16 (x in the
//         "_in_bf16" kernels, dy in "_dy_bf16") is stored as it is. bf16 tiles take half the shared
//         memory and half the ldmatrix traffic of fp32 ones.
// Either way each operand is rounded exactly once and accumulation is fp32 in the mma. Out-of-range
// rows, columns and reduction indices load as 0, so any K, C, H, W, stride, padding and filter size
// is valid.
//
// Who loads what (both precisions), for coalescing and conflict-free shared stores:
//   A  packed (forward, backward data): thread tid copies row tid/2, reduction indices
//      8·(tid%2) … +7 (one 16-byte piece in bf16, two in fp32). Gathered (backward weight): rows
//      tid/16 + (threads/16)·i (i < 8) at reduction index tid%16: a half warp reads 16 consecutive
//      k of one row (consecutive addresses).
//   B  packed (forward, backward data): 16-byte pieces, column by column (nc_mma_feed_packed).
//      Gathered (backward weight): lane l of warp w takes columns l%8 + 8w + 8·warps·h (h < bcols
//      = 2 or 1) at reduction indices l/8 + 4i (i < 4): a warp reads 8 consecutive columns
//      (consecutive or stride-apart addresses) at 4 k. A 128-row tile has twice the threads for
//      the same 64 columns, so each thread gathers half the B elements.
// A thread decodes its B columns and its first reduction indices once (with divisions), then
// walks the indices a slice at a time by adds and carries (nc_mma_taps; backward weight's
// nc_mma_walk): the gathers of the main loop never divide.
//
// Shared-memory banks: fp32 rows are 20 floats (80 bytes), so the 8 rows one ldmatrix phase reads
// start at banks 0, 20, 8, 28, 16, 4, 24, 12 and cover all 32 once, and the B stores of a warp
// (bank 20·column + k) hit 32 distinct banks. bf16 rows are 24 elements (48 bytes): phase rows
// start at banks 0, 12, 24, 4, 16, 28, 8, 20, four each, again all 32.
//
// Invariant after the main loop: acc holds Σ_{k ∈ [kbegin, kend)} round(A[row,k])·round(B[k,col])
// for the warp's WM×32 sub-tile in the C-fragment layout of nc_mma.cuh, added in k order slice by
// slice (the same order at both precisions and in both pipelines).
//
// Index arithmetic is 32-bit: the launcher (ConvMmaKernels.cs) checks every tensor, the packed
// operands included, has < 2³¹ elements.
#include "nc_cuda.cuh"
#include "nc_mma.cuh"

#define NC_MMA_TN 64
#define NC_MMA_TK 16
#define NC_MMA_STAGES 3        // slices in the cp.async ring (fp32 tiles: 3 × 10 or 15 KB for 64- or 128-row tiles; bf16: 3 × 6 or 9 KB)
#define NC_MMA_F32_LD 20       // fp32 tile row stride in floats (16 + 4, see the banks above)
#define NC_MMA_BF16_LD 24      // bf16 tile row stride in elements (16 + 8)

// A block computes a TM×64 output tile with its warps in a (TM/WM)×2 grid, each warp a WM×32 tile
// (WM/16 × 4 mma tiles): WM = 32 for backward weight (4 or 8 warps: its gathers want the threads),
// WM = 64 for forward and backward data (2 or 4 warps: their packed copies are cheap, and a warp
// issues twice the mma per ldmatrix of B and per slice's bookkeeping).
template <int TM, int WM = 32> struct nc_mma_tile
{
    static constexpr int warps = TM / WM * 2, threads = 32 * warps, mi = WM / 16;
    static constexpr int bcols = NC_MMA_TN / (8 * warps);   // gathered B columns per thread (WM = 32: 2 or 1)
    static constexpr int arows = TM / (threads / 2);        // packed A rows per thread (1 or 2)
};

enum { NC_OP_FORWARD = 0, NC_OP_BACKWARD_DATA = 1, NC_OP_BACKWARD_WEIGHT = 2 };
enum { NC_PREC_TF32 = 0, NC_PREC_BF16 = 1 };

// The convolution, and for backward data a block's stride phase (nc_mma_phase): the dx rows
// h = h0c + i·sh (i < Hc) and columns w = w0c + j·sw (j < Wc) that the taps r = r0 + a·sh (a < Rc),
// s = s0 + b·sw (b < Sc) reach (zero for forward and backward weight).
struct nc_mma_geom
{
    int N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q;
    int h0c, w0c, Hc, Wc, r0, s0, Rc, Sc;
};

__device__ __forceinline__ int nc_mma_round16(int v) { return (v + NC_MMA_TK - 1) / NC_MMA_TK * NC_MMA_TK; }

// One axis of a stride phase: the taps r ≡ residue (mod stride) — residue, residue + stride, …, taps
// of them below filter — reach exactly the pixels h ≡ residue − pad (mod stride): first, first +
// stride, …, count of them below size (ConvMmaKernels.StridePhase.Of computes the same on the host).
__device__ __forceinline__ int nc_mma_phase_taps(int filter, int stride, int residue)
{
    return residue < filter ? (filter - residue + stride - 1) / stride : 0;
}

__device__ __forceinline__ void nc_mma_phase_axis(int size, int pad, int stride, int filter, int residue, int& first, int& count, int& taps)
{
    first = ((residue - pad) % stride + stride) % stride;
    count = first < size ? (size - first + stride - 1) / stride : 0;
    taps = nc_mma_phase_taps(filter, stride, residue);
}

// g with backward data's stride phase f = a·sw + b (tap residues a < sh, b < sw) filled in.
__device__ __forceinline__ nc_mma_geom nc_mma_phase(nc_mma_geom g, int f)
{
    int a = f / g.sw, b = f - a * g.sw;
    g.r0 = a; g.s0 = b;
    nc_mma_phase_axis(g.H, g.ph, g.sh, g.R, a, g.h0c, g.Hc, g.Rc);
    nc_mma_phase_axis(g.W, g.pw, g.sw, g.S, b, g.w0c, g.Wc, g.Sc);
    return g;
}

// Elements of one phase's packed weight, rows × (taps of phase 0, the most) × the reduction's
// channels rounded to 16: phase f's packed A starts at f times this (conv2d_pack_weight_*).
__device__ __forceinline__ int nc_mma_phase_len(int rows, int R, int S, int rstep, int sstep, int channels)
{
    return rows * nc_mma_phase_taps(R, rstep, 0) * nc_mma_phase_taps(S, sstep, 0) * nc_mma_round16(channels);
}

// The tap-major reduction's channel count: x's for forward, dy's for backward data.
template <int OP> __device__ __forceinline__ int nc_mma_red_channels(const nc_mma_geom& g) { return OP == NC_OP_FORWARD ? g.C : g.K; }

// GEMM sizes of an op: rows M, columns Ncol, reduction length KR.
template <int OP> __device__ __forceinline__ void nc_mma_sizes(const nc_mma_geom& g, int& M, int& Ncol, int& KR)
{
    if (OP == NC_OP_FORWARD) { M = g.K; Ncol = g.N * g.P * g.Q; KR = g.R * g.S * nc_mma_round16(nc_mma_red_channels<OP>(g)); }
    else if (OP == NC_OP_BACKWARD_DATA) { M = g.C; Ncol = g.N * g.Hc * g.Wc; KR = g.Rc * g.Sc * nc_mma_round16(nc_mma_red_channels<OP>(g)); }
    else { M = g.K; Ncol = g.C * g.R * g.S; KR = g.N * g.P * g.Q; }
}

// Backward weight's A: A[m, kk] = dy[n, m, u] = dy[lo + hi + m·P·Q] for kk = n·P·Q + u: lo = u < P·Q,
// hi = n·K·P·Q (a carry out of lo adds K·P·Q to hi).
struct nc_mma_arow
{
    int lo, hi;
};

__device__ __forceinline__ nc_mma_arow nc_mma_arow_decode(const nc_mma_geom& g, int kk)
{
    int pq = g.P * g.Q, n = kk / pq;
    return nc_mma_arow{kk - n * pq, n * g.K * pq};
}

// What B column j stands for, decoded once per thread (a thread's B columns never change), with
// Ch = B's channels per pixel (the channels-last copy's: the channel count rounded up to 16):
//   forward          base = n·Ch·H·W, (h0, w0) = (p·sh − ph, q·sw − pw)  (the window corner)
//   backward data    base = n·Ch·P·Q, (h0, w0) = the dy pixel tap (r0, s0) reads for dx pixel
//                    (h0c + i·sh, w0c + j·sw): ((h + ph − r0)/sh, (w + pw − s0)/sw), exact
//   backward weight  base = c·H·W,    (h0, w0) = (r − ph, s − pw)                 (Ch unused)
// ok = j < Ncol.
struct nc_mma_col
{
    int base, h0, w0;
    bool ok;
};

template <int OP> __device__ __forceinline__ nc_mma_col nc_mma_col_decode(const nc_mma_geom& g, int j, int Ncol, int channels)
{
    nc_mma_col c{0, 0, 0, j < Ncol};
    if (!c.ok) return c;
    if (OP == NC_OP_FORWARD)
    {
        int pq = g.P * g.Q, n = j / pq, u = j - n * pq, p = u / g.Q, q = u - p * g.Q;
        c.base = n * channels * g.H * g.W; c.h0 = p * g.sh - g.ph; c.w0 = q * g.sw - g.pw;
    }
    else if (OP == NC_OP_BACKWARD_DATA)
    {
        int hw = g.Hc * g.Wc, n = j / hw, u = j - n * hw, i = u / g.Wc, jw = u - i * g.Wc;
        c.base = n * channels * g.P * g.Q;
        c.h0 = (g.h0c + g.ph - g.r0) / g.sh + i;   // h0c ≡ r0 − ph (mod sh): exact, and ≥ 0
        c.w0 = (g.w0c + g.pw - g.s0) / g.sw + jw;
    }
    else
    {
        int rs = g.R * g.S, ch = j / rs, t = j - ch * rs, r = t / g.S, s = t - r * g.S;
        c.base = ch * g.H * g.W; c.h0 = r - g.ph; c.w0 = s - g.pw;
    }
    return c;
}

// What a B row (reduction index) stands for, shared by a thread's columns:
//   forward          off = c·H·W, (dh, dw) = (r, s)          (a slice's tap; c its first channel)
//   backward data    off = k·P·Q, (dh, dw) = (a, b)          (the phase's tap r0 + a·sh, s0 + b·sw;
//                                                             its dy pixel is (h0 − a, w0 − b))
//   backward weight  off = n·C·H·W, (dh, dw) = (p·sh, q·sw)  kk = (n, p, q)
struct nc_mma_tap
{
    int off, dh, dw;
};

// Backward weight's B row kk = (n, p, q).
__device__ __forceinline__ nc_mma_tap nc_mma_tap_decode(const nc_mma_geom& g, int kk)
{
    int pq = g.P * g.Q, n = kk / pq, u = kk - n * pq, p = u / g.Q, q = u - p * g.Q;
    return nc_mma_tap{n * g.C * g.H * g.W, p * g.sh, q * g.sw};
}

// Walking backward weight's reduction index forward without dividing. A tap's fields are
// mixed-radix digits: dw ∈ [0, Q·sw) in steps of sw, dh ∈ [0, P·sh) in steps of sh, off in steps of
// an image (C·H·W); a carry out of dw adds sh to dh, one out of dh adds an image to off. step16 holds
// the digits of +16 (one slice), step4 those of +4 (from a thread's first B index to its next),
// a_step those of +16 for A's row. Adding digit-wise and carrying once per digit is exact: each
// digit and each step digit is below its limit, so a sum (plus an incoming carry) is below twice
// the limit.
struct nc_mma_walk
{
    int dw_lim, dh_unit, dh_lim, off_unit;
    nc_mma_tap step16, step4;
    int a_lim, a_unit;
    nc_mma_arow a_step;
};

__device__ __forceinline__ nc_mma_walk nc_mma_walk_make(const nc_mma_geom& g)
{
    nc_mma_walk w;
    w.dw_lim = g.Q * g.sw; w.dh_unit = g.sh; w.dh_lim = g.P * g.sh; w.off_unit = g.C * g.H * g.W;
    w.step16 = nc_mma_tap_decode(g, NC_MMA_TK);
    w.step4 = nc_mma_tap_decode(g, 4);
    w.a_lim = g.P * g.Q; w.a_unit = g.K * g.P * g.Q;
    w.a_step = nc_mma_arow_decode(g, NC_MMA_TK);
    return w;
}

// t + the index whose digits are d.
__device__ __forceinline__ nc_mma_tap nc_mma_tap_add(nc_mma_tap t, const nc_mma_tap& d, const nc_mma_walk& w)
{
    t.dw += d.dw;
    if (t.dw >= w.dw_lim) { t.dw -= w.dw_lim; t.dh += w.dh_unit; }
    t.dh += d.dh;
    if (t.dh >= w.dh_lim) { t.dh -= w.dh_lim; t.off += w.off_unit; }
    t.off += d.off;
    return t;
}

__device__ __forceinline__ void nc_mma_arow_advance(nc_mma_arow& r, const nc_mma_walk& w)
{
    r.lo += w.a_step.lo;
    if (r.lo >= w.a_lim) { r.lo -= w.a_lim; r.hi += w.a_unit; }
    r.hi += w.a_step.hi;
}

// Where a thread stands in backward weight's reduction: the A row of its A index and the tap of its
// first B index (see "Who loads what"; the other three are 4, 8, 12 further), decoded once (with
// divisions) and then walked a slice at a time. Few registers: the other taps are derived.
struct nc_mma_cursor
{
    int k0;   // the slice's first reduction index
    nc_mma_arow a;
    nc_mma_tap b;
};

// bspan: how many consecutive reduction indices a thread's B group spans (1: indices lane/8 + 4i;
// 4: indices 4·(lane/8) + i, the row-copy feeder's).
__device__ __forceinline__ nc_mma_cursor nc_mma_cursor_start(const nc_mma_geom& g, int kbegin, int tid, int bspan)
{
    return nc_mma_cursor{kbegin, nc_mma_arow_decode(g, kbegin + tid % NC_MMA_TK), nc_mma_tap_decode(g, kbegin + bspan * ((tid & 31) / 8))};
}

__device__ __forceinline__ void nc_mma_cursor_advance(nc_mma_cursor& c, const nc_mma_walk& w)
{
    c.k0 += NC_MMA_TK;
    nc_mma_arow_advance(c.a, w);
    c.b = nc_mma_tap_add(c.b, w.step16, w);
}

// Tap-major reduction (forward and backward data; see the top): a slice is the 16 channels
// c0 … c0+15 of one tap (r, s); Rp is the reduction's channel count rounded up to 16.
struct nc_mma_taps
{
    int c0, r, s;
};


// The slice at kbegin (a multiple of 16).
__device__ __forceinline__ nc_mma_taps nc_mma_taps_start(int kbegin, int rp, int S)
{
    int t = kbegin / rp, r = t / S;
    return nc_mma_taps{kbegin - t * rp, r, t - r * S};
}

__device__ __forceinline__ void nc_mma_taps_advance(nc_mma_taps& c, int rp, int S)
{
    c.c0 += NC_MMA_TK;
    if (c.c0 == rp)
    {
        c.c0 = 0;
        if (++c.s == S) { c.s = 0; c.r++; }
    }
}

// The pixel of B's plane that column col reads at tap (dh, dw) — x's h·W + w, or backward data's dy
// p·Q + q — or false in the padding (that pixel out of range).
template <int OP>
__device__ __forceinline__ bool nc_mma_b_pixel(const nc_mma_geom& g, const nc_mma_tap& tap, const nc_mma_col& col, int& pixel)
{
    if (OP == NC_OP_BACKWARD_DATA)
    {
        int p = col.h0 - tap.dh, q = col.w0 - tap.dw;   // the dy pixel
        if ((unsigned)p >= (unsigned)g.P || (unsigned)q >= (unsigned)g.Q) return false;
        pixel = p * g.Q + q;
        return true;
    }
    int h = col.h0 + tap.dh, w = col.w0 + tap.dw;   // the x pixel
    if ((unsigned)h >= (unsigned)g.H || (unsigned)w >= (unsigned)g.W) return false;
    pixel = h * g.W + w;
    return true;
}

// Offset of B[tap, col] in b (NCHW), or false in the padding.
template <int OP>
__device__ __forceinline__ bool nc_mma_b_offset(const nc_mma_geom& g, const nc_mma_tap& tap, const nc_mma_col& col, int& off)
{
    int pixel = 0;
    if (!nc_mma_b_pixel<OP>(g, tap, col, pixel)) return false;
    off = col.base + tap.off + pixel;
    return true;
}

// Visits thread tid's share of the backward-weight slice the cursor stands at (see "Who loads
// what"), then moves the cursor to the next slice: to_a(i, row, k, src, ok) for its 8 A elements
// and to_b(i, column, k, src, ok) for its 4·bcols B elements, with tile-local row/column/k, the
// source address and whether it is in range (src is a valid address, never read, when !ok).
template <int TM, typename TA, typename TB, class ToA, class ToB>
__device__ __forceinline__ void nc_mma_gather(const TA* __restrict__ a, const TB* __restrict__ b, const nc_mma_geom& g, int M,
                                              int kend, int m0, int tid, const nc_mma_col (&col)[nc_mma_tile<TM>::bcols],
                                              nc_mma_cursor& cur, const nc_mma_walk& walk, ToA to_a, ToB to_b)
{
    using T = nc_mma_tile<TM>;
    int ka = tid % NC_MMA_TK, rfirst = tid / NC_MMA_TK, astride = g.P * g.Q;
    bool kin = cur.k0 + ka < kend;
    const TA* arow = a + cur.a.lo + cur.a.hi;
#pragma unroll
    for (int i = 0; i < 8; i++)
    {
        int row = rfirst + (T::threads / NC_MMA_TK) * i;
        bool ok = kin && m0 + row < M;
        to_a(i, row, ka, ok ? arow + (m0 + row) * astride : a, ok);
    }
    int lane = tid & 31, cfirst = lane % 8 + 8 * (tid >> 5);
    nc_mma_tap tap = cur.b;
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        int kb = lane / 8 + 4 * i;
        bool kok = cur.k0 + kb < kend;
#pragma unroll
        for (int h = 0; h < T::bcols; h++)
        {
            int off = 0;
            bool ok = kok && col[h].ok && nc_mma_b_offset<NC_OP_BACKWARD_WEIGHT>(g, tap, col[h], off);
            to_b(T::bcols * i + h, cfirst + 8 * T::warps * h, kb, ok ? b + off : b, ok);
        }
        if (i < 3) tap = nc_mma_tap_add(tap, walk.step4, walk);
    }
    nc_mma_cursor_advance(cur, walk);
}

// A staged element as the bf16 bits a tile holds: an fp32 value rounded (RNE), a bf16 one as it is
// (its rounding would be itself: rounding is idempotent, so a bf16 input gives the very tile an fp32
// input holding the same values gives).
__device__ __forceinline__ unsigned short nc_mma_tile_bits(float v) { return nc_bf16_bits16(v); }
__device__ __forceinline__ unsigned short nc_mma_tile_bits(unsigned short bits) { return bits; }

// Two staged elements as a bf16 pair (lo in bits 0..15): two tile elements in one store.
__device__ __forceinline__ unsigned nc_mma_tile_pair(float lo, float hi) { return nc_bf16x2_pack(lo, hi); }
__device__ __forceinline__ unsigned nc_mma_tile_pair(unsigned short lo, unsigned short hi) { return lo | ((unsigned)hi << 16); }

// Thread tid's share of a slice's A tile when A's rows are contiguous along the reduction (a packed
// weight; dy's rows in backward weight's row copy): row row0 + tid/2, the 8 reduction indices from
// 8·(tid%2), in 16-byte cp.async copies (one of bf16, two of fp32) from src, the row's piece in
// global memory (never read when !ok: the copies zero-fill).
template <typename T, int LD>
__device__ __forceinline__ void nc_mma_copy_a_piece(T (*as)[LD], const T* src, bool ok, int tid, int row0 = 0)
{
    constexpr int per = 16 / (int)sizeof(T);   // elements per 16-byte copy
    int row = row0 + (tid >> 1), first = 8 * (tid & 1);
#pragma unroll
    for (int j = 0; j < 8 / per; j++) nc_cp_async16(&as[row][first + per * j], src + per * j, ok);
}

// Stores a thread's staged elements of an element-gathered slice (nc_mma_gather's positions: A row
// tid/16 + (threads/16)·i at k = tid%16, B column lane%8 + 8·warp + 8·warps·h at k = lane/8 + 4i for
// element bcols·i + h) into the bf16 tiles.
template <int TM, typename TA, typename TB>
__device__ __forceinline__ void nc_mma_land_gathered(unsigned short (*as)[NC_MMA_BF16_LD], unsigned short (*bs)[NC_MMA_BF16_LD], const TA (&ra)[8],
                                                     const TB (&rb)[4 * nc_mma_tile<TM>::bcols], int tid)
{
    using T = nc_mma_tile<TM>;
    int tid16 = tid % NC_MMA_TK, lane = tid & 31;
#pragma unroll
    for (int i = 0; i < 8; i++) as[tid / NC_MMA_TK + (T::threads / NC_MMA_TK) * i][tid16] = nc_mma_tile_bits(ra[i]);
#pragma unroll
    for (int i = 0; i < 4 * T::bcols; i++)
        bs[lane % 8 + 8 * (tid >> 5) + 8 * T::warps * (i % T::bcols)][lane / 8 + 4 * (i / T::bcols)] = nc_mma_tile_bits(rb[i]);
}

// Feeders: what fills a slice's A and B tiles, for the two pipelines below. They offer
//   issue(as, bs)   the ring: cp.async copies of the current slice into a slot, then the next slice
//   fetch(as, bs)   bf16, gathered: start the current slice (copies into as/bs, loads into staging
//                   registers) …
//   land(as, bs)    … and finish it into the same buffers (wait for the copies, store the registers)
// and say: round_a / round_b, whether the tf32 fragments of A / B need the cvt (not when packed,
// rounded already); pin_lane_rows, whether the pipeline keeps its ldmatrix offsets in registers
// (nc_mma_lane_rows); copies_only, whether bf16 runs the ring (issue) rather than fetch / land;
// two_per_trip (feeders with fetch / land) / three_per_trip, how many slices the bf16
// double-buffered loop / the ring takes per trip (1 where the unrolled loop would spill).
//
// nc_mma_feed_walk: backward weight, whose operands are both activations, gathered element by
// element with the mixed-radix walk above — unless ROWS: when P·Q is a multiple of 16 and Q of 4, a
// slice's 16 reduction indices are 16 consecutive pixels of one image, four image-row runs of 4.
// A's row k of a slice is then 16 consecutive elements of dy's plane (n, k), copied 16 bytes at a
// time as a packed weight is (row tid/2, elements 8·(tid%2) …; the launch picks ROWS where dy's
// type fits the tile: fp32 at tf32, bf16 bits at bf16), and a thread's B elements are one run of 4
// (gather_b_rows).
template <int TM, typename TA, typename TB, bool ROWS> struct nc_mma_feed_walk
{
    using T = nc_mma_tile<TM>;
    static constexpr bool round_a = true, round_b = true, pin_lane_rows = false, two_per_trip = ROWS, three_per_trip = false, copies_only = false;
    const TA* a;
    const TB* b;
    const nc_mma_geom& g;
    int M, kend, m0, tid;
    const nc_mma_col (&col)[T::bcols];
    nc_mma_walk walk;
    nc_mma_cursor cur;
    TA ra[ROWS ? 1 : 8];
    TB rb[4 * T::bcols];
    // ROWS: this thread's A pieces in dy (row tid/2 of the block, row 0 — never read — past K) and
    // the slice's first pixel in its image.
    int arow;   // (an element offset: a pointer would take two registers)
    bool arow_ok;
    int pq0;

    __device__ __forceinline__ nc_mma_feed_walk(const TA* a_, const TB* b_, const nc_mma_geom& g_, int M_, int kbegin, int kend_, int m0_, int tid_,
                                                const nc_mma_col (&col_)[T::bcols])
        : a(a_), b(b_), g(g_), M(M_), kend(kend_), m0(m0_), tid(tid_), col(col_), walk(nc_mma_walk_make(g_)),
          cur(nc_mma_cursor_start(g_, kbegin, tid_, ROWS ? 4 : 1)), arow(0), arow_ok(false), pq0(0)
    {
        if (ROWS)
        {
            int pq = g_.P * g_.Q, n = kbegin / pq, row = m0_ + (tid_ >> 1);
            pq0 = kbegin - n * pq;
            arow_ok = row < M_;
            arow = (n * M_ + (arow_ok ? row : 0)) * pq + pq0 + 8 * (tid_ & 1);
        }
    }

    template <int LD> __device__ __forceinline__ void copy_a(TA (*as)[LD])
    {
        int pq = g.P * g.Q;
        nc_mma_copy_a_piece(as, a + arow, arow_ok, tid);
        arow += NC_MMA_TK;
        pq0 += NC_MMA_TK;
        if (pq0 == pq) { pq0 = 0; arow += (M - 1) * pq; }   // on to the next image's plane of the same row
    }

    // ROWS: lane l's B elements for column h are the 4 consecutive pixels 4·(l/8) … +3 of the slice,
    // which (Q a multiple of 4, slices starting at multiples of 16) share one image row: its bounds
    // check and address are worked out once, the 4 x pixels are sw apart. Then the cursor moves on.
    template <class ToB> __device__ __forceinline__ void gather_b_rows(ToB to_b)
    {
        int lane = tid & 31, cfirst = lane % 8 + 8 * (tid >> 5), k4 = 4 * (lane / 8);
#pragma unroll
        for (int h = 0; h < T::bcols; h++)
        {
            int y = col[h].h0 + cur.b.dh, x0 = col[h].w0 + cur.b.dw;
            bool rowok = col[h].ok && (unsigned)y < (unsigned)g.H;
            int base = col[h].base + cur.b.off + y * g.W + x0;
#pragma unroll
            for (int i = 0; i < 4; i++)
            {
                bool ok = rowok && (unsigned)(x0 + i * g.sw) < (unsigned)g.W;
                to_b(4 * h + i, cfirst + 8 * T::warps * h, k4 + i, ok ? b + base + i * g.sw : b, ok);
            }
        }
        nc_mma_cursor_advance(cur, walk);
    }

    __device__ __forceinline__ void issue(float (*as)[NC_MMA_F32_LD], float (*bs)[NC_MMA_F32_LD])
    {
        auto to_bs = [&](int, int c, int k, const TB* src, bool ok) { nc_cp_async4(&bs[c][k], src, ok); };
        if constexpr (ROWS)
        {
            copy_a(as);
            gather_b_rows(to_bs);
        }
        else
            nc_mma_gather<TM>(a, b, g, M, kend, m0, tid, col, cur, walk,
                                    [&](int, int row, int k, const TA* src, bool ok) { nc_cp_async4(&as[row][k], src, ok); }, to_bs);
    }

    __device__ __forceinline__ void fetch(unsigned short (*as)[NC_MMA_BF16_LD], unsigned short (*)[NC_MMA_BF16_LD])
    {
        auto to_rb = [&](int i, int, int, const TB* src, bool ok) { rb[i] = ok ? *src : TB(0); };
        if constexpr (ROWS)
        {
            copy_a(as);
            nc_cp_async_commit();
            gather_b_rows(to_rb);
        }
        else
            nc_mma_gather<TM>(a, b, g, M, kend, m0, tid, col, cur, walk,
                                    [&](int i, int, int, const TA* src, bool ok) { ra[i] = ok ? *src : TA(0); }, to_rb);
    }

    __device__ __forceinline__ void land(unsigned short (*as)[NC_MMA_BF16_LD], unsigned short (*bs)[NC_MMA_BF16_LD])
    {
        if constexpr (ROWS)
        {
            // Each pair of a thread's consecutive pixels is one 4-byte store.
            int lane = tid & 31;
#pragma unroll
            for (int h = 0; h < T::bcols; h++)
#pragma unroll
                for (int j = 0; j < 2; j++)
                    nc_sts_u32(&bs[lane % 8 + 8 * (tid >> 5) + 8 * T::warps * h][4 * (lane / 8) + 2 * j],
                               nc_mma_tile_pair(rb[4 * h + 2 * j], rb[4 * h + 2 * j + 1]));
            nc_cp_async_wait<0>();
        }
        else nc_mma_land_gathered<TM>(as, bs, ra, rb, tid);
    }
};

// nc_mma_feed_images: backward weight with its reduction run image-major, kk = (p·Q + q)·N + n,
// where N is a multiple of 16 (a batch of views) and the pixel counts miss the row copy's (P·Q not a
// multiple of 16 or Q not of 4: 14×14, 7×7 and 3×3 maps). A slice is then one output pixel (p, q) of
// 16 images: each B column's window position, bounds check and address are worked out once per
// slice and its 4 elements are an image (C·H·W) apart; each A element is dy at that pixel, rows
// P·Q apart. Every index stays in range of the reduction (N·P·Q and a split's chunk are multiples of
// 16), so nothing but rows and columns is checked. Gathered element by element as the walk is
// (same tile positions: "Who loads what"), only the order of the reduction differs.
template <int TM, typename TA, typename TB> struct nc_mma_feed_images
{
    using T = nc_mma_tile<TM>;
    static constexpr bool round_a = true, round_b = true, pin_lane_rows = false, two_per_trip = false, three_per_trip = false, copies_only = false;
    const TA* a;
    const TB* b;
    const nc_mma_geom& g;
    int tid, m0;       // (both live through the main loop anyway: A's rows are recomputed from them, no registers of their own)
    const nc_mma_col (&col)[T::bcols];
    int n0, p, q;      // the slice: images n0 … n0+15 at output pixel (p, q)
    TA ra[8];
    TB rb[4 * T::bcols];

    __device__ __forceinline__ nc_mma_feed_images(const TA* a_, const TB* b_, const nc_mma_geom& g_, int kbegin, int m0_, int tid_,
                                                  const nc_mma_col (&col_)[T::bcols])
        : a(a_), b(b_), g(g_), tid(tid_), m0(m0_), col(col_)
    {
        int u = kbegin / g_.N;
        n0 = kbegin - u * g_.N; p = u / g_.Q; q = u - p * g_.Q;
    }

    // Visits this thread's share of the slice (to_a, to_b as nc_mma_gather's), then moves to the next.
    // A's row m = m0 + tid/16 + (threads/16)·i of image n0 + tid%16 is dy[n, m, p, q] (M = K rows).
    template <class ToA, class ToB> __device__ __forceinline__ void gather(ToA to_a, ToB to_b)
    {
        int pq = g.P * g.Q, rfirst = tid / NC_MMA_TK, ka = tid % NC_MMA_TK;
        const TA* abase = a + ((n0 + ka) * g.K + m0 + rfirst) * pq + p * g.Q + q;
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            int row = rfirst + (T::threads / NC_MMA_TK) * i;
            bool ok = m0 + row < g.K;
            to_a(i, row, ka, ok ? abase + (T::threads / NC_MMA_TK) * i * pq : a, ok);
        }
        int lane = tid & 31, cfirst = lane % 8 + 8 * (tid >> 5), kb = lane / 8, image = g.C * g.H * g.W;
        nc_mma_tap tap{(n0 + kb) * image, p * g.sh, q * g.sw};
#pragma unroll
        for (int h = 0; h < T::bcols; h++)
        {
            int off = 0;
            bool ok = col[h].ok && nc_mma_b_offset<NC_OP_BACKWARD_WEIGHT>(g, tap, col[h], off);
#pragma unroll
            for (int i = 0; i < 4; i++) to_b(T::bcols * i + h, cfirst + 8 * T::warps * h, kb + 4 * i, ok ? b + off + 4 * i * image : b, ok);
        }
        n0 += NC_MMA_TK;
        if (n0 == g.N)
        {
            n0 = 0;
            if (++q == g.Q) { q = 0; p++; }
        }
    }

    __device__ __forceinline__ void issue(float (*as)[NC_MMA_F32_LD], float (*bs)[NC_MMA_F32_LD])
    {
        gather([&](int, int row, int k, const TA* src, bool ok) { nc_cp_async4(&as[row][k], src, ok); },
               [&](int, int c, int k, const TB* src, bool ok) { nc_cp_async4(&bs[c][k], src, ok); });
    }

    __device__ __forceinline__ void fetch(unsigned short (*)[NC_MMA_BF16_LD], unsigned short (*)[NC_MMA_BF16_LD])
    {
        gather([&](int i, int, int, const TA* src, bool ok) { ra[i] = ok ? *src : TA(0); },
               [&](int i, int, int, const TB* src, bool ok) { rb[i] = ok ? *src : TB(0); });
    }

    __device__ __forceinline__ void land(unsigned short (*as)[NC_MMA_BF16_LD], unsigned short (*bs)[NC_MMA_BF16_LD])
    {
        nc_mma_land_gathered<TM>(as, bs, ra, rb, tid);
    }
};

// nc_mma_feed_packed: forward and backward data, whose reduction runs tap-major (kk = t·Rp + c, see
// the top), with both operands packed: A the weight (conv2d_pack_weight_*), B the activation
// channels-last (conv2d_pack_channels_last_*: bp[pixel·Rp + c], pixel = (n·H + h)·W + w of x, or
// (n·P + p)·Q + q of dy, zeros for channels c ≥ the real count). A slice's 16 channels of one tap are
// then 16 consecutive elements of a column's pixel, so B is copied as A is: 16-byte cp.async pieces,
// zero-filled in the padding, already rounded (no cvt after ldmatrix, no conversion on the way), one
// bounds check per piece per slice. Both tiles fill without staging registers, so both precisions
// run the cp.async ring.
//   A  rows tid/2 + (threads/2)·i (i < TM / (threads/2): 1, or 2 with 64-row warp tiles), pieces at
//      8·(tid%2)… (one bf16 piece, two fp32 ones), a pointer step per slice.
//   B  piece tid + threads·i of the tile is column (tid + threads·i) / parts, part tid % parts (parts
//      = pieces per column: 2 bf16, 4 fp32; 128 or 256 pieces for 64 or 128 threads).
template <int OP, int TM, int WM, typename TP> struct nc_mma_feed_packed
{
    using T = nc_mma_tile<TM, WM>;
    static constexpr bool round_a = false, round_b = false, pin_lane_rows = true, copies_only = true;
    static constexpr bool three_per_trip = sizeof(TP) == 2;   // bf16 (tf32's unrolled ring spills 40–160 bytes at 128 registers)
    static constexpr int per = 16 / (int)sizeof(TP), parts = NC_MMA_TK / per;   // elements per piece, pieces per column
    static constexpr int pieces = NC_MMA_TN * parts, mine = (pieces + T::threads - 1) / T::threads;
    const TP* b;
    const nc_mma_geom& g;
    int tid, rp;              // rp: the reduction's channel count rounded up to 16, bp's channels per pixel
    int astep;                // elements from one of this thread's A rows to the next (threads/2 rows)
    bool arow_ok[T::arows];   // its A rows tid/2 + (threads/2)·i are < M
    const TP* arow;           // its first row's A pieces of the current slice: row tid/2 of the block (row 0,
                              // never read, when past M), column k0 + 8·(tid%2)
    int S;                    // taps per filter row: S, or the phase's Sc
    nc_mma_taps cur;          // the slice's tap and first channel
    nc_mma_col col[mine];     // the columns of this thread's B pieces

    __device__ __forceinline__ nc_mma_feed_packed(const TP* a, const TP* b_, const nc_mma_geom& g_, int M, int KRp, int kbegin, int m0, int tid_,
                                                  int j0, int Ncol)
        : b(b_), g(g_), tid(tid_), rp(nc_mma_round16(nc_mma_red_channels<OP>(g_))), astep(T::threads / 2 * KRp),
          arow(a + (m0 + (tid_ >> 1) < M ? (m0 + (tid_ >> 1)) * KRp : 0) + kbegin + 8 * (tid_ & 1)), S(OP == NC_OP_FORWARD ? g_.S : g_.Sc),
          cur(nc_mma_taps_start(kbegin, rp, S))
    {
#pragma unroll
        for (int i = 0; i < T::arows; i++) arow_ok[i] = m0 + (tid_ >> 1) + T::threads / 2 * i < M;
#pragma unroll
        for (int i = 0; i < mine; i++)
        {
            int c = (tid_ + T::threads * i) / parts;
            col[i] = nc_mma_col_decode<OP>(g_, c < NC_MMA_TN ? j0 + c : Ncol, Ncol, rp);
            col[i].base = nc_opaque(col[i].base);   // (kept, not recomputed from the column every slice)
        }
    }

    template <int LD> __device__ __forceinline__ void issue(TP (*as)[LD], TP (*bs)[LD])
    {
#pragma unroll
        for (int i = 0; i < T::arows; i++) nc_mma_copy_a_piece(as, arow_ok[i] ? arow + astep * i : arow, arow_ok[i], tid, T::threads / 2 * i);
        arow += NC_MMA_TK;
        int part = tid % parts;
        nc_mma_tap tap{0, cur.r, cur.s};
#pragma unroll
        for (int i = 0; i < mine; i++)
        {
            if (pieces % T::threads != 0 && tid + T::threads * i >= pieces) break;
            int pixel = 0;
            bool ok = nc_mma_b_pixel<OP>(g, tap, col[i], pixel) & col[i].ok;   // (a column past Ncol decodes to pixel 0: harmless)
            nc_cp_async16(&bs[(tid + T::threads * i) / parts][per * part], b + (ok ? col[i].base + pixel * rp + cur.c0 + per * part : 0), ok);
        }
        nc_mma_taps_advance(cur, rp, S);
    }
};

// This lane's ldmatrix rows, as element offsets into a tile, computed once per thread (the slice
// functions only add constants): A's matrix q of mi = 0 at As[wm + 8(q&1) + lane%8][c·(q>>1)] and
// B's matrix q of column tiles 0, 1 at Bs[wn + 8(q>>1) + lane%8][c·(q&1)], with c = 4 for fp32
// tiles (a matrix is 8 rows of 4 fp32) and 8 for bf16 ones (8 rows of 8 bf16); q = lane / 8.
// pin: keep them in registers (nc_opaque) rather than let ptxas recompute them every slice, where the
// feeder leaves the registers (the packed one; backward weight's gathers need them).
template <int LD, int C> struct nc_mma_lane_rows
{
    int a, b;
    __device__ __forceinline__ nc_mma_lane_rows(int wm, int wn, int lane, bool pin)
    {
        int q = lane >> 3, r8 = lane & 7;
        a = (wm + 8 * (q & 1) + r8) * LD + C * (q >> 1);
        b = (wn + 8 * (q >> 1) + r8) * LD + C * (q & 1);
        if (pin) { a = nc_opaque(a); b = nc_opaque(b); }
    }
};

// acc[mi][ni] += the warp's (wm + 16mi, wn + 8ni) 16×8 tile of As·Bsᵀ over one 16-deep fp32 slice
// (As, Bs: the slot's tiles, flat), each fragment register rounded to tf32 after its ldmatrix (A's
// only when ROUND_A, B's only when ROUND_B: a packed tile holds tf32 values already).
template <bool ROUND_A, bool ROUND_B, int MI>
__device__ __forceinline__ void nc_mma_slice_tf32(const float* As, const float* Bs, const nc_mma_lane_rows<NC_MMA_F32_LD, 4>& rows,
                                                  float (&acc)[MI][4][4])
{
#pragma unroll
    for (int ks = 0; ks < NC_MMA_TK; ks += 8)
    {
        // Matrix q of column tiles 2p, 2p+1 is Bs[wn + 16p + 8(q>>1) + 0..7][ks + 4(q&1) .. +3]: b0, b1
        // of 2p, then of 2p+1 (per k-step, so that only one step's B fragments are live).
        unsigned bf[4][2];
#pragma unroll
        for (int p = 0; p < 2; p++)
        {
            unsigned r[4];
            nc_ldmatrix_x4(r, Bs + rows.b + 16 * p * NC_MMA_F32_LD + ks);
#pragma unroll
            for (int e = 0; e < 4; e++) bf[2 * p + e / 2][e % 2] = ROUND_B ? __float_as_uint(nc_tf32_round(__uint_as_float(r[e]))) : r[e];
        }
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
        {
            // Matrix q is As[wm + 16mi + 8(q&1) + 0..7][ks + 4(q>>1) .. +3]: a0, a1, a2, a3.
            unsigned af[4];
            nc_ldmatrix_x4(af, As + rows.a + 16 * mi * NC_MMA_F32_LD + ks);
            if (ROUND_A)
            {
#pragma unroll
                for (int e = 0; e < 4; e++) af[e] = __float_as_uint(nc_tf32_round(__uint_as_float(af[e])));
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++) nc_mma_tf32_m16n8k8(acc[mi][ni], af, bf[ni]);
        }
    }
}

// The same over one 16-deep bf16 slice (already rounded when stored).
template <int MI>
__device__ __forceinline__ void nc_mma_slice_bf16(const unsigned short* As, const unsigned short* Bs, const nc_mma_lane_rows<NC_MMA_BF16_LD, 8>& rows,
                                                  float (&acc)[MI][4][4])
{
    // Matrix q of column tiles 2p, 2p+1 is Bs[wn + 16p + 8(q>>1) + 0..7][8(q&1) .. +7]: b0, b1 of 2p, then of 2p+1.
    unsigned bf[4][2];
#pragma unroll
    for (int p = 0; p < 2; p++)
    {
        unsigned r[4];
        nc_ldmatrix_x4(r, Bs + rows.b + 16 * p * NC_MMA_BF16_LD);
        bf[2 * p][0] = r[0]; bf[2 * p][1] = r[1];
        bf[2 * p + 1][0] = r[2]; bf[2 * p + 1][1] = r[3];
    }
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
    {
        // Matrix q is As[wm + 16mi + 8(q&1) + 0..7][8(q>>1) .. +7]: a0, a1, a2, a3.
        unsigned af[4];
        nc_ldmatrix_x4(af, As + rows.a + 16 * mi * NC_MMA_BF16_LD);
#pragma unroll
        for (int ni = 0; ni < 4; ni++) nc_mma_bf16_m16n8k16(acc[mi][ni], af, bf[ni]);
    }
}

// The shared tiles of each pipeline, one object per kernel however many feeders its launch may
// pick (a __shared__ declared in a function template depending on the feeder would be one per
// feeder type, each taking its own shared memory).
template <int TM> struct nc_mma_tiles_tf32
{
    float A[NC_MMA_STAGES][TM][NC_MMA_F32_LD];
    float B[NC_MMA_STAGES][NC_MMA_TN][NC_MMA_F32_LD];
};

template <int TM> struct nc_mma_tiles_bf16
{
    unsigned short A[NC_MMA_STAGES][TM][NC_MMA_BF16_LD];   // (the double-buffered loop uses two)
    unsigned short B[NC_MMA_STAGES][NC_MMA_TN][NC_MMA_BF16_LD];
};

template <int PREC, int TM> struct nc_mma_tiles_of;
template <int TM> struct nc_mma_tiles_of<NC_PREC_TF32, TM> { using type = nc_mma_tiles_tf32<TM>; };
template <int TM> struct nc_mma_tiles_of<NC_PREC_BF16, TM> { using type = nc_mma_tiles_bf16<TM>; };

template <class Tiles> __device__ __forceinline__ Tiles& nc_mma_shared_tiles()
{
    __shared__ __align__(16) Tiles tiles;
    return tiles;
}

// One slice s of the cp.async ring, read from slot (= s mod 3) while refill (= (s+2) mod 3, the slot
// of slice s−1) takes slice s+2. (Inlined: literal slots make every tile address a constant offset.)
template <bool TF32, class Feed, class Tiles, class Rows, int MI>
__device__ __forceinline__ void nc_mma_ring_step(Feed& feed, Tiles& tiles, const Rows& rows, int slot, int refill, int s, int slices,
                                                 float (&acc)[MI][4][4])
{
    nc_cp_async_wait<NC_MMA_STAGES - 2>();   // this thread's copies of slice s have landed …
    __syncthreads();   // … and everyone's; and everyone is done with slice s−1, whose slot is refilled next
    if (s + NC_MMA_STAGES - 1 < slices) feed.issue(tiles.A[refill], tiles.B[refill]);
    nc_cp_async_commit();
    if constexpr (TF32) nc_mma_slice_tf32<Feed::round_a, Feed::round_b>(&tiles.A[slot][0][0], &tiles.B[slot][0][0], rows, acc);
    else nc_mma_slice_bf16(&tiles.A[slot][0][0], &tiles.B[slot][0][0], rows, acc);
}

// The cp.async ring: slices [0, slices) of the block's reduction range, slices s+1 and s+2 in flight
// while slice s is multiplied. Every tf32 feeder fills its tiles this way (fp32 tiles, fragments
// rounded after ldmatrix where the feeder says so); at bf16 the feeders that fill both tiles by
// cp.async alone (Feed::copies_only: the packed ones) do too. Feed::three_per_trip: the loop takes
// three slices per trip, so that every slot is a constant and each tile address a fixed offset (as
// the bf16 loop's two per trip; tf32's packed feeder and the gathering ones would spill).
template <int TM, int PREC, class Feed, int MI>
__device__ __forceinline__ void nc_mma_mainloop_ring(Feed& feed, int slices, int tid, int wm, int wn, float (&acc)[MI][4][4])
{
    auto& tiles = nc_mma_shared_tiles<typename nc_mma_tiles_of<PREC, TM>::type>();
    constexpr bool tf32 = PREC == NC_PREC_TF32;
    nc_mma_lane_rows<tf32 ? NC_MMA_F32_LD : NC_MMA_BF16_LD, tf32 ? 4 : 8> rows(wm, wn, tid & 31, Feed::pin_lane_rows);
    // Every step commits one group (empty past the last slice), so group s always holds slice s.
#pragma unroll
    for (int s = 0; s < NC_MMA_STAGES - 1; s++)
    {
        if (s < slices) feed.issue(tiles.A[s], tiles.B[s]);
        nc_cp_async_commit();
    }
    static_assert(NC_MMA_STAGES == 3, "three slices per trip, one per slot");
    if constexpr (Feed::three_per_trip)
    {
        for (int s = 0; s < slices; s += 3)
        {
            nc_mma_ring_step<tf32>(feed, tiles, rows, 0, 2, s, slices, acc);
            if (s + 1 < slices) nc_mma_ring_step<tf32>(feed, tiles, rows, 1, 0, s + 1, slices, acc);
            if (s + 2 < slices) nc_mma_ring_step<tf32>(feed, tiles, rows, 2, 1, s + 2, slices, acc);
        }
    }
    else
    {
        for (int s = 0; s < slices; s++) nc_mma_ring_step<tf32>(feed, tiles, rows, s % NC_MMA_STAGES, (s + NC_MMA_STAGES - 1) % NC_MMA_STAGES, s, slices, acc);
    }
}

// One slice of the bf16 main loop: multiply buffer cur while slice s+1 fills the other (fetched
// before the mma, landed after it). The other buffer's last reader was slice s−1's mma, before the
// previous barrier. (Inlined: a literal cur makes every tile address a constant offset.)
template <int TM, class Feed>
__device__ __forceinline__ void nc_mma_step_bf16(Feed& feed, nc_mma_tiles_bf16<TM>& tiles, const nc_mma_lane_rows<NC_MMA_BF16_LD, 8>& rows,
                                                 int cur, bool more, float (&acc)[nc_mma_tile<TM>::mi][4][4])
{
    if (more) feed.fetch(tiles.A[cur ^ 1], tiles.B[cur ^ 1]);
    nc_mma_slice_bf16(&tiles.A[cur][0][0], &tiles.B[cur][0][0], rows, acc);
    if (more) feed.land(tiles.A[cur ^ 1], tiles.B[cur ^ 1]);
    __syncthreads();
}

// bf16 main loop: double-buffered bf16 tiles, two slices per trip (Feed::two_per_trip) so that which
// buffer a step reads and which it fills are constants: every tile address is then a fixed offset
// from registers set up once (with the buffer a variable, ptxas recomputed ~30 shared addresses
// every slice). Feeders whose unrolled loop would spill keep one slice per trip.
template <int TM, class Feed>
__device__ __forceinline__ void nc_mma_mainloop_bf16(Feed& feed, int slices, int tid, int wm, int wn, float (&acc)[nc_mma_tile<TM>::mi][4][4])
{
    auto& tiles = nc_mma_shared_tiles<nc_mma_tiles_bf16<TM>>();
    nc_mma_lane_rows<NC_MMA_BF16_LD, 8> rows(wm, wn, tid & 31, Feed::pin_lane_rows);
    feed.fetch(tiles.A[0], tiles.B[0]);   // slices ≥ 1
    feed.land(tiles.A[0], tiles.B[0]);
    __syncthreads();
    if constexpr (Feed::two_per_trip)
    {
        for (int s = 0; s < slices; s += 2)
        {
            nc_mma_step_bf16(feed, tiles, rows, 0, s + 1 < slices, acc);
            if (s + 1 < slices) nc_mma_step_bf16(feed, tiles, rows, 1, s + 2 < slices, acc);
        }
    }
    else
    {
        for (int s = 0; s < slices; s++) nc_mma_step_bf16(feed, tiles, rows, s & 1, s + 1 < slices, acc);
    }
}

// GEMM element (row m, column j) lives at base(j) + m·stride of the op's output (slot 0):
// forward y[n, m, u] (j = n·P·Q + u), backward weight dw[m, j], backward data dx[n, m, h, w] for the
// phase's pixel (h, w) = (h0c + i·sh, w0c + jw·sw) (j = (n·Hc + i)·Wc + jw).
template <int OP> __device__ __forceinline__ int nc_mma_out_base(const nc_mma_geom& g, int j, int& stride)
{
    if (OP == NC_OP_BACKWARD_WEIGHT) { stride = g.C * g.R * g.S; return j; }
    if (OP == NC_OP_FORWARD)
    {
        int plane = g.P * g.Q, n = j / plane;
        stride = plane;
        return n * g.K * plane + (j - n * plane);
    }
    int hw = g.Hc * g.Wc, n = j / hw, u = j - n * hw, i = u / g.Wc, jw = u - i * g.Wc;
    stride = g.H * g.W;
    return n * g.C * stride + (g.h0c + i * g.sh) * g.W + g.w0c + jw * g.sw;
}

// T without a reference (a trait NVRTC lacks the header for); as a parameter's type, T is not deduced from it.
template <class T> struct nc_mma_unref { using type = T; };
template <class T> struct nc_mma_unref<T&> { using type = T; };

// The B columns a gathering feeder's thread loads (see "Who loads what"), decoded once.
template <int OP, int TM>
__device__ __forceinline__ void nc_mma_cols(const nc_mma_geom& g, int j0, int Ncol, int tid, nc_mma_col (&col)[nc_mma_tile<TM>::bcols])
{
#pragma unroll
    for (int h = 0; h < nc_mma_tile<TM>::bcols; h++) col[h] = nc_mma_col_decode<OP>(g, j0 + (tid & 31) % 8 + 8 * (tid >> 5) + 8 * nc_mma_tile<TM>::warps * h, Ncol, 0);
}

// Block (bx, by, bz): rows by·TM …, columns bx·64 …, reduction [z·chunk, min((z+1)·chunk, KR)) for
// split z = bz (backward data: bz = z·sh·sw + f, stride phase f, whose packed A starts at f times
// nc_mma_phase_len). out receives slot z (offset z·|output|) when the reduction is split (fp32
// outputs only); bias (forward only) may be null. a (w, or dy for backward weight) and b (x, or dy
// for backward data) are fp32, or bf16 bits at PREC bf16 (the tf32 tiles are filled by cp.async,
// which cannot widen); forward's and backward data's b is packed channels-last, of a's type.
template <int OP, int PREC, int TM, int WM, typename TA, typename TB, typename TOut>
__device__ __forceinline__ void nc_conv_mma(const TA* __restrict__ a, const TB* __restrict__ b, const float* __restrict__ bias,
                                            TOut* __restrict__ out, const nc_mma_geom& conv, int chunk)
{
    int phases = OP == NC_OP_BACKWARD_DATA ? conv.sh * conv.sw : 1, z = blockIdx.z / phases, f = blockIdx.z - z * phases;
    const nc_mma_geom g = OP == NC_OP_BACKWARD_DATA ? nc_mma_phase(conv, f) : conv;
    if (OP == NC_OP_BACKWARD_DATA) a += f * nc_mma_phase_len(g.C, g.R, g.S, g.sh, g.sw, g.K);
    int M, Ncol, KR;
    nc_mma_sizes<OP>(g, M, Ncol, KR);
    int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, gid = lane >> 2, tig = lane & 3;
    using T = nc_mma_tile<TM, WM>;
    static_assert(WM == 32 || OP != NC_OP_BACKWARD_WEIGHT, "backward weight's gathers are laid out for 32-row warp tiles");
    int m0 = blockIdx.y * TM, j0 = blockIdx.x * NC_MMA_TN;
    // The grid covers the widest phase; a narrower one (or one with no pixel) has nothing here. No
    // thread has reached a barrier yet, so the whole block may leave.
    if (OP == NC_OP_BACKWARD_DATA && j0 >= Ncol) return;
    int wm = (warp >> 1) * WM, wn = (warp & 1) * 32;
    int kbegin = z * chunk, kend = min(KR, kbegin + chunk);

    float acc[T::mi][4][4];
#pragma unroll
    for (int mi = 0; mi < T::mi; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[mi][ni][c] = 0.f;

    int slices = kend > kbegin ? (kend - kbegin + NC_MMA_TK - 1) / NC_MMA_TK : 0;
    if (slices > 0)   // (the walks divide by the reduction's radices, which an empty reduction may lack)
    {
        auto run = [&](auto& feed) {
            if constexpr (PREC == NC_PREC_TF32 || nc_mma_unref<decltype(feed)>::type::copies_only) nc_mma_mainloop_ring<TM, PREC>(feed, slices, tid, wm, wn, acc);
            else nc_mma_mainloop_bf16<TM>(feed, slices, tid, wm, wn, acc);
        };
        if constexpr (OP == NC_OP_BACKWARD_WEIGHT)
        {
            nc_mma_col col[T::bcols];
            nc_mma_cols<OP, TM>(g, j0, Ncol, tid, col);
            // dy's rows are copied straight into the tile where a slice stays in one image and dy's type
            // is the tile's (fp32 at tf32; bf16 bits at bf16: the _dy_bf16 kernels).
            constexpr bool rows_fit = PREC == NC_PREC_TF32 || sizeof(TA) == 2;
            bool rows_shape = (g.P * g.Q) % NC_MMA_TK == 0 && g.Q % 4 == 0;
            if (rows_fit && rows_shape)
            {
                nc_mma_feed_walk<TM, TA, TB, rows_fit> feed(a, b, g, M, kbegin, kend, m0, tid, col);
                run(feed);
            }
            else if (!rows_shape && g.N % NC_MMA_TK == 0)
            {
                // (chosen by the shape alone, so that a bf16-stored operand runs the order its fp32 twin runs)
                nc_mma_feed_images<TM, TA, TB> feed(a, b, g, kbegin, m0, tid, col);
                run(feed);
            }
            else
            {
                nc_mma_feed_walk<TM, TA, TB, false> feed(a, b, g, M, kbegin, kend, m0, tid, col);
                run(feed);
            }
        }
        else
        {
            nc_mma_feed_packed<OP, TM, WM, TA> feed(a, b, g, M, KR, kbegin, m0, tid, j0, Ncol);
            run(feed);
        }
    }

    // Backward data: the phase again, from an opaque copy of blockIdx.z, rather than its pixel origin
    // and counts kept live through the main loop (they pushed the 64-row bf16 kernels into spills).
    const nc_mma_geom ge = OP == NC_OP_BACKWARD_DATA ? nc_mma_phase(conv, nc_opaque(blockIdx.z) % phases) : g;
    if (OP == NC_OP_BACKWARD_DATA) Ncol = ge.N * ge.Hc * ge.Wc;
    // Each of the thread's 8 output columns is decoded once; its 4 rows are strides apart.
    TOut* dst = out + (long long)z * (OP == NC_OP_BACKWARD_DATA ? conv.N * conv.C * conv.H * conv.W : M * Ncol);
#pragma unroll
    for (int ni = 0; ni < 4; ni++)
#pragma unroll
        for (int e = 0; e < 2; e++)
        {
            int j = j0 + wn + 8 * ni + 2 * tig + e, stride;
            if (j >= Ncol) continue;
            int base = nc_mma_out_base<OP>(ge, j, stride);
#pragma unroll
            for (int mi = 0; mi < T::mi; mi++)
#pragma unroll
                for (int half = 0; half < 2; half++)
                {
                    int m = m0 + wm + 16 * mi + gid + 8 * half;
                    if (m < M)
                        nc_store_f32(dst, base + m * stride, acc[mi][ni][2 * half + e] + (OP == NC_OP_FORWARD && bias && z == 0 ? bias[m] : 0.f));
                }
        }
}

// Packed weights, the A operand of the tap-major ops: wp[m, t·Rp + c] = round(w at (m, c, r, s)) for
// c < Cr and 0 for Cr ≤ c < Rp (Rp = Cr rounded up to 16), over the taps t = a·Sc + b (a < Rc,
// b < Sc) at r = r0 + a·rstep, s = s0 + b·sstep. Forward (transpose 0, steps 1): rows m = k < K,
// Cr = C, w[k, c, r, s], all taps (one phase: r0 = s0 = 0, Rc = R, Sc = S). Backward data
// (transpose 1, steps the strides): rows m = c < C, Cr = K, w[c', m, r, s] for the reduction channel
// c' = k, every stride phase f = r0·sstep + s0 (nc_mma_phase) from f·nc_mma_phase_len, its taps
// only (the rest of its stretch is never read; zeros). tf32 stores the value rounded to tf32
// (cvt.rna) in fp32, bf16 its bf16 bits (RNE): the rounding the fragments would apply, done once
// per launch instead of once per tile.
__device__ __forceinline__ void nc_mma_pack_store(float* p, long long i, float v) { p[i] = nc_tf32_round(v); }
__device__ __forceinline__ void nc_mma_pack_store(unsigned short* p, long long i, float v) { p[i] = nc_bf16_bits16(v); }

template <typename T>
__device__ __forceinline__ void nc_conv_pack_weight(const float* __restrict__ w, T* __restrict__ wp, int K, int C, int R, int S, int transpose, int rstep,
                                                    int sstep)
{
    int rows = transpose ? C : K, cr = transpose ? K : C, rp = nc_mma_round16(cr), stretch = nc_mma_phase_len(rows, R, S, rstep, sstep, cr);
    long long total = (long long)rstep * sstep * stretch;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        int f = (int)(i / stretch), e = (int)(i - (long long)f * stretch), r0 = f / sstep, s0 = f - r0 * sstep;
        int Rc = nc_mma_phase_taps(R, rstep, r0), Sc = nc_mma_phase_taps(S, sstep, s0), len = Rc * Sc * rp;
        float v = 0.f;
        if (e < rows * len)
        {
            int m = e / len, u = e - m * len, t = u / rp, c = u - t * rp, a = t / Sc, b = t - a * Sc;
            int rs = (r0 + a * rstep) * S + s0 + b * sstep;
            if (c < cr) v = transpose ? w[(c * C + m) * R * S + rs] : w[(m * C + c) * R * S + rs];
        }
        nc_mma_pack_store(wp, i, v);
    }
}

extern "C" __global__ void conv2d_pack_weight_tf32_kernel(const float* __restrict__ w, float* __restrict__ wp, int K, int C, int R, int S, int transpose,
                                                          int rstep, int sstep)
{
    nc_conv_pack_weight(w, wp, K, C, R, S, transpose, rstep, sstep);
}

extern "C" __global__ void conv2d_pack_weight_bf16_kernel(const float* __restrict__ w, unsigned short* __restrict__ wp, int K, int C, int R, int S,
                                                          int transpose, int rstep, int sstep)
{
    nc_conv_pack_weight(w, wp, K, C, R, S, transpose, rstep, sstep);
}

// Channels-last copies of an activation t [N, C, H, W] (x for forward, dy for backward data), the B
// operand nc_mma_feed_packed reads: tp[(n·H·W + u)·Cp + c] = round(t[n, c, u]) for pixel u and c < C,
// 0 for C ≤ c < Cp (C rounded up to 16), rounded as the packed weight is (tf32 in fp32, bf16 bits; a
// bf16 t is its own rounding). Thread i takes the 16 channels 16·grp … of pixel u of image n,
// i = (n·Cp/16 + grp)·H·W + u: a warp reads 32 consecutive pixels of one channel per load
// (coalesced) and writes each pixel's 16 channels as 64 or 32 consecutive bytes, 16 per store
// (whole 32-byte sectors, two stores apart).
// Four 32-bit words stored as one 16-byte access (dst 16-byte aligned).
struct __align__(16) nc_mma_words4
{
    unsigned w[4];
};

__device__ __forceinline__ void nc_mma_pack_store16(float* dst, const float (&v)[16])
{
    nc_mma_words4* out = reinterpret_cast<nc_mma_words4*>(dst);   // (16-element groups: 64-byte aligned)
#pragma unroll
    for (int q = 0; q < 4; q++)
        out[q] = nc_mma_words4{{__float_as_uint(nc_tf32_round(v[4 * q])), __float_as_uint(nc_tf32_round(v[4 * q + 1])),
                                __float_as_uint(nc_tf32_round(v[4 * q + 2])), __float_as_uint(nc_tf32_round(v[4 * q + 3]))}};
}

__device__ __forceinline__ void nc_mma_pack_store16(unsigned short* dst, const float (&v)[16])
{
    nc_mma_words4* out = reinterpret_cast<nc_mma_words4*>(dst);   // (16-element groups: 32-byte aligned)
#pragma unroll
    for (int q = 0; q < 2; q++)
        out[q] = nc_mma_words4{{nc_bf16x2_pack(v[8 * q], v[8 * q + 1]), nc_bf16x2_pack(v[8 * q + 2], v[8 * q + 3]),
                                nc_bf16x2_pack(v[8 * q + 4], v[8 * q + 5]), nc_bf16x2_pack(v[8 * q + 6], v[8 * q + 7])}};
}

template <typename TI, typename TO>
__device__ __forceinline__ void nc_conv_pack_channels_last(const TI* __restrict__ t, TO* __restrict__ tp, int N, int C, int HW)
{
    int cp = nc_mma_round16(C), groups = cp / NC_MMA_TK;
    long long total = (long long)N * groups * HW;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        long long ng = i / HW;
        int u = (int)(i - ng * HW), n = (int)(ng / groups), c0 = NC_MMA_TK * (int)(ng - (long long)n * groups);
        const TI* src = t + ((long long)n * C + c0) * HW + u;
        float v[16];
#pragma unroll
        for (int c = 0; c < 16; c++) v[c] = c0 + c < C ? nc_load_f32(src, c * HW) : 0.f;
        nc_mma_pack_store16(tp + ((long long)n * HW + u) * cp + c0, v);
    }
}

extern "C" __global__ void conv2d_pack_channels_last_tf32_kernel(const float* __restrict__ t, float* __restrict__ tp, int N, int C, int HW)
{
    nc_conv_pack_channels_last(t, tp, N, C, HW);
}

extern "C" __global__ void conv2d_pack_channels_last_bf16_kernel(const float* __restrict__ t, unsigned short* __restrict__ tp, int N, int C, int HW)
{
    nc_conv_pack_channels_last(t, tp, N, C, HW);
}

// t stored in bf16 (a Bf16Tensor): copied as it is.
extern "C" __global__ void conv2d_pack_channels_last_bf16_in_bf16_kernel(const unsigned short* __restrict__ t, unsigned short* __restrict__ tp, int N,
                                                                         int C, int HW)
{
    nc_conv_pack_channels_last(t, tp, N, C, HW);
}

// The kernels, written out one by one (see kernels-cu/README.md): 64-row tiles and 128-row tiles
// ("_m128"), each at tf32 and bf16. Backward weight: 128 threads, 6 blocks per SM (80 registers),
// and 256 threads, 3 blocks; the two 64-row bf16 ones with dy in bf16 ask for 5 blocks (96
// registers): their row-copy feeder, two slices per trip, would spill at 80 on sm_90. Forward and
// backward data (64×32 warp tiles, twice the accumulators): 64 threads, 8 blocks, and 128 threads,
// 4 blocks (128 registers).

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]), xp and wp x and w packed; chunk ≥ R·S·Cp for one split.
extern "C" __global__ void __launch_bounds__(64, 8) conv2d_forward_mma_tf32_kernel(
    const float* __restrict__ xp, const float* __restrict__ wp, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_TF32, 64, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ over k and the taps (r, s) of the pixel's stride phase of round(w[k,c,r,s]) ·
// round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) (divisions exact), every phase in one launch (blockIdx.z =
// split·sh·sw + phase), dyp dy packed, wp the phases' packed taps of w (transposed); chunk ≥ the longest phase's reduction for one split.
extern "C" __global__ void __launch_bounds__(64, 8) conv2d_backward_data_mma_tf32_kernel(
    const float* __restrict__ dyp, const float* __restrict__ wp, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_TF32, 64, 64>(wp, dyp, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(128, 6) conv2d_backward_weight_mma_tf32_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_TF32, 64, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]), xp and wp x and w packed; chunk ≥ R·S·Cp for one split.
extern "C" __global__ void __launch_bounds__(128, 4) conv2d_forward_mma_tf32_m128_kernel(
    const float* __restrict__ xp, const float* __restrict__ wp, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_TF32, 128, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ over k and the taps (r, s) of the pixel's stride phase of round(w[k,c,r,s]) ·
// round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) (divisions exact), every phase in one launch (blockIdx.z =
// split·sh·sw + phase), dyp dy packed, wp the phases' packed taps of w (transposed); chunk ≥ the longest phase's reduction for one split.
extern "C" __global__ void __launch_bounds__(128, 4) conv2d_backward_data_mma_tf32_m128_kernel(
    const float* __restrict__ dyp, const float* __restrict__ wp, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_TF32, 128, 64>(wp, dyp, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(256, 3) conv2d_backward_weight_mma_tf32_m128_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_TF32, 128, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]), xp and wp x and w packed; chunk ≥ R·S·Cp for one split.
extern "C" __global__ void __launch_bounds__(64, 8) conv2d_forward_mma_bf16_kernel(
    const unsigned short* __restrict__ xp, const unsigned short* __restrict__ wp, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_BF16, 64, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ over k and the taps (r, s) of the pixel's stride phase of round(w[k,c,r,s]) ·
// round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) (divisions exact), every phase in one launch (blockIdx.z =
// split·sh·sw + phase), dyp dy packed, wp the phases' packed taps of w (transposed); chunk ≥ the longest phase's reduction for one split.
extern "C" __global__ void __launch_bounds__(64, 8) conv2d_backward_data_mma_bf16_kernel(
    const unsigned short* __restrict__ dyp, const unsigned short* __restrict__ wp, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_BF16, 64, 64>(wp, dyp, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(128, 6) conv2d_backward_weight_mma_bf16_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 64, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// y[n,k,p,q] = Σ_{c,r,s} round(w[k,c,r,s]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]) (+ bias[k]), xp and wp x and w packed; chunk ≥ R·S·Cp for one split.
extern "C" __global__ void __launch_bounds__(128, 4) conv2d_forward_mma_bf16_m128_kernel(
    const unsigned short* __restrict__ xp, const unsigned short* __restrict__ wp, const float* __restrict__ bias, float* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_BF16, 128, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dx[n,c,h,w] = Σ over k and the taps (r, s) of the pixel's stride phase of round(w[k,c,r,s]) ·
// round(dy[n,k,(h+ph−r)/sh,(w+pw−s)/sw]) (divisions exact), every phase in one launch (blockIdx.z =
// split·sh·sw + phase), dyp dy packed, wp the phases' packed taps of w (transposed); chunk ≥ the longest phase's reduction for one split.
extern "C" __global__ void __launch_bounds__(128, 4) conv2d_backward_data_mma_bf16_m128_kernel(
    const unsigned short* __restrict__ dyp, const unsigned short* __restrict__ wp, float* __restrict__ dx, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_DATA, NC_PREC_BF16, 128, 64>(wp, dyp, nullptr, dx, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dw_z[k,c,r,s] = Σ_{(n,p,q) in split z} round(dy[n,k,p,q]) · round(x[n,c,p·sh−ph+r,q·sw−pw+s]), written to slot z of dw.
extern "C" __global__ void __launch_bounds__(256, 3) conv2d_backward_weight_mma_bf16_m128_kernel(
    const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 128, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_forward_mma_bf16_kernel with y stored in bf16: y[n,k,p,q] = bf16(Σ … (+ bias[k])); one split (chunk ≥ R·S·Cp).
extern "C" __global__ void __launch_bounds__(64, 8) conv2d_forward_mma_bf16_out_bf16_kernel(
    const unsigned short* __restrict__ xp, const unsigned short* __restrict__ wp, const float* __restrict__ bias, unsigned short* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_BF16, 64, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_forward_mma_bf16_m128_kernel with y stored in bf16; one split.
extern "C" __global__ void __launch_bounds__(128, 4) conv2d_forward_mma_bf16_m128_out_bf16_kernel(
    const unsigned short* __restrict__ xp, const unsigned short* __restrict__ wp, const float* __restrict__ bias, unsigned short* __restrict__ y, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_FORWARD, NC_PREC_BF16, 128, 64>(wp, xp, bias, y, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// x stored in bf16 (the "_in_bf16" kernels: a BN+ReLU output that only the next convolution reads,
// a Bf16Tensor): backward weight gathers bf16 bits straight into the tile (the forward reads x
// packed, which conv2d_pack_channels_last_bf16_in_bf16_kernel copies from bf16). Each computes
// exactly what its fp32-input twin computes on x widened to fp32 (widening is exact and the tile's
// rounding of a bf16 value is the value), with half the bytes gathered.

// As conv2d_backward_weight_mma_bf16_kernel with x stored in bf16.
extern "C" __global__ void __launch_bounds__(128, 6) conv2d_backward_weight_mma_bf16_in_bf16_kernel(
    const unsigned short* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 64, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_backward_weight_mma_bf16_m128_kernel with x stored in bf16.
extern "C" __global__ void __launch_bounds__(256, 3) conv2d_backward_weight_mma_bf16_m128_in_bf16_kernel(
    const unsigned short* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 128, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// dy stored in bf16 (the "_dy_bf16" kernels: the gradient batch norm's backward hands a bf16
// convolution, which rounds it to bf16 anyway): backward weight reads it as A straight into the
// bf16 tiles (backward data reads dy packed); each computes exactly what its fp32-dy twin computes
// on dy widened.

// As conv2d_backward_weight_mma_bf16_kernel with dy stored in bf16.
extern "C" __global__ void __launch_bounds__(128, 5) conv2d_backward_weight_mma_bf16_dy_bf16_kernel(
    const float* __restrict__ x, const unsigned short* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 64, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_backward_weight_mma_bf16_in_bf16_kernel with dy stored in bf16.
extern "C" __global__ void __launch_bounds__(128, 5) conv2d_backward_weight_mma_bf16_in_bf16_dy_bf16_kernel(
    const unsigned short* __restrict__ x, const unsigned short* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 64, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_backward_weight_mma_bf16_m128_kernel with dy stored in bf16.
extern "C" __global__ void __launch_bounds__(256, 3) conv2d_backward_weight_mma_bf16_m128_dy_bf16_kernel(
    const float* __restrict__ x, const unsigned short* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 128, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

// As conv2d_backward_weight_mma_bf16_m128_in_bf16_kernel with dy stored in bf16.
extern "C" __global__ void __launch_bounds__(256, 3) conv2d_backward_weight_mma_bf16_m128_in_bf16_dy_bf16_kernel(
    const unsigned short* __restrict__ x, const unsigned short* __restrict__ dy, float* __restrict__ dw, int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int ph, int pw, int P, int Q, int chunk)
{
    nc_conv_mma<NC_OP_BACKWARD_WEIGHT, NC_PREC_BF16, 128, 32>(dy, x, nullptr, dw, nc_mma_geom{N, C, H, W, K, R, S, sh, sw, ph, pw, P, Q}, chunk);
}

NC_EXPORT_KERNEL(conv2d_pack_weight_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_pack_weight_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_pack_channels_last_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_pack_channels_last_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_pack_channels_last_bf16_in_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_tf32_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_tf32_m128_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_tf32_m128_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_tf32_m128_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_bf16_m128_kernel);
NC_EXPORT_KERNEL(conv2d_backward_data_mma_bf16_m128_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_m128_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_bf16_out_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_forward_mma_bf16_m128_out_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_in_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_m128_in_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_dy_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_in_bf16_dy_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_m128_dy_bf16_kernel);
NC_EXPORT_KERNEL(conv2d_backward_weight_mma_bf16_m128_in_bf16_dy_bf16_kernel);
