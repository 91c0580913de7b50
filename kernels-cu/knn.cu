// knn.cu — weighted kNN evaluation (Wu et al. 2018, §4.1): per-row top-k of a [rows, cols]
// block of cosine similarities (test chunk × bank) and the exp(s/τ)-weighted class vote.
// Both reproduce CpuBackend.Knn exactly: the same k entries in the same order (ties by the
// lower column, NaN below every number, −0 = +0), and class sums accumulated in the same order.
// Launch configuration: KnnKernels.cs.
#include "nc_cuda.cuh"

// ---------------------------------------------------------------------------------------------
// Top-k by radix select, one block per row.
//
// Every entry gets a 64-bit composite key that orders exactly as the cpu reference ranks:
//   high 32 bits  the score mapped to an unsigned integer that sorts like the float
//                 (NaN → −inf, −0 → +0, so that they tie as the cpu's `<` / `==` make them tie),
//   low 32 bits   0xffffffff − column, so that of two equal scores the lower column is larger.
// Keys are unique, so "the k largest keys, descending" is the answer, with no tie rules left.
//
// Why radix select: k = 200 of 60 000 columns is too many for per-thread top-k lists in
// registers, and sorting the row is wasteful. The block instead finds T, the score key of the
// k-th largest entry, one 8-bit digit at a time (4 histogram passes, most significant first):
// each pass counts, among the entries whose higher digits equal T's digits found so far, how
// many fall in each of 256 bins, and takes the bin where the count from the top reaches the
// ranks still missing. Entries in higher bins are certainly selected, lower bins certainly not.
// As soon as the undecided bin plus the certainly-selected entries fit in shared memory
// (`capacity` keys, typically after the second pass for cosine scores), they are compacted there
// in column order and the remaining passes and the selection read shared memory instead of the
// row: two reads of the row from global memory instead of five.
// Selection keeps every entry with score key > T and the first (lowest-column) `need` entries
// equal to T; a block-wide scan in column order assigns each its slot. A bitonic sort of the
// ≤ 2048 selected composite keys in shared memory then yields the final order.
//
// One launch produces ranks [rank_start, rank_start + take) with take ≤ take_max (a power of two
// ≤ capacity). For k > take_max the launcher repeats the kernel: a later launch only considers
// entries ranked below the last one already written (its key, read back from the output, is a
// strict ceiling), so the row is processed in slices of take_max ranks. k ≤ 2048 is one launch.
// ---------------------------------------------------------------------------------------------

// Unsigned image of a score that orders like the float: positive floats get the sign bit set,
// negative ones are bit-inverted (larger magnitude → smaller key). NaN ranks as −inf; −0 as +0.
__device__ __forceinline__ unsigned nc_score_key(float v)
{
    if (v != v) v = -INFINITY;
    if (v == 0.f) v = 0.f;
    unsigned u = __float_as_uint(v);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ unsigned long long nc_rank_key(float v, int col)
{
    return ((unsigned long long)nc_score_key(v) << 32) | (0xffffffffu - (unsigned)col);
}

// Exclusive prefix sum of v over the block in thread order (blockDim a multiple of 32, ≤ 1024);
// *total gets the block's sum. Ends with a barrier, so warp_totals may be reused at once.
__device__ __forceinline__ int nc_block_exclusive_scan(int v, int* total, int* warp_totals)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    int x = v;
    for (int o = 1; o < 32; o <<= 1)
    {
        int y = __shfl_up_sync(NC_FULL_MASK, x, o);
        if (lane >= o) x += y;
    }
    if (lane == 31) warp_totals[warp] = x;
    __syncthreads();
    if (warp == 0)
    {
        int w = lane < warps ? warp_totals[lane] : 0;
        for (int o = 1; o < 32; o <<= 1)
        {
            int y = __shfl_up_sync(NC_FULL_MASK, w, o);
            if (lane >= o) w += y;
        }
        if (lane < warps) warp_totals[lane] = w;
    }
    __syncthreads();
    int before = (warp > 0 ? warp_totals[warp - 1] : 0) + x - v;
    *total = warp_totals[warps - 1];
    __syncthreads();
    return before;
}

// values[r, rank_start + j], indices[r, rank_start + j] for j < take = min(take_max, k − rank_start):
// the entries of scores row r ranked rank_start + j (descending score, ascending column).
// Dynamic shared memory: capacity composite keys.
extern "C" __global__ void topk_rows_forward_kernel(const float* __restrict__ scores, float* __restrict__ values,
                                                    int* __restrict__ indices, int rows, int cols, int k, int rank_start,
                                                    int take_max, int capacity)
{
    NC_DYNAMIC_SMEM(unsigned long long, list);
    __shared__ unsigned hist[256];
    __shared__ int warp_totals[32];
    __shared__ unsigned s_digit;
    __shared__ int s_above, s_in_bin;

    int row = blockIdx.x, tid = threadIdx.x, lane = tid & 31;
    int take = min(take_max, k - rank_start);
    if (row >= rows || take <= 0) return;
    const float* sr = scores + (long long)row * cols;
    long long out = (long long)row * k + rank_start;

    // Entries already written by an earlier slice rank at or above this key; the rest below it.
    unsigned long long ceiling = ~0ull;
    if (rank_start > 0) ceiling = nc_rank_key(values[out - 1], indices[out - 1]);

    // Source of the passes: the row in global memory (only entries under the ceiling count), or,
    // once compacted, list[0 .. n) in shared memory (all of which count).
    bool in_smem = false;
    int n = cols;
    unsigned prefix = 0, mask = 0;   // the digits of T found so far
    int need = take;                 // ranks still to fill from entries matching prefix

    for (int shift = 24; shift >= 0; shift -= 8)
    {
        for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0;
        __syncthreads();
        // All lanes run the same number of iterations: the warp votes below need every lane.
        for (int base = 0; base < n; base += blockDim.x)
        {
            int i = base + tid;
            unsigned long long key = 0;
            bool counts = false;
            if (i < n)
            {
                key = in_smem ? list[i] : nc_rank_key(sr[i], i);
                unsigned vkey = (unsigned)(key >> 32);
                counts = (in_smem || key < ceiling) && (vkey & mask) == prefix;
            }
            unsigned digit = (unsigned)(key >> (32 + shift)) & 255u;
            // Similarities crowd into a few bins of the top digit: when the whole warp hits one bin,
            // one atomic adds the warp's count instead of 32 serialised ones.
            unsigned active = __ballot_sync(NC_FULL_MASK, counts);
            if (active == 0) continue;
            int leader = __ffs((int)active) - 1;
            unsigned leader_digit = __shfl_sync(NC_FULL_MASK, digit, leader);
            unsigned same = __ballot_sync(NC_FULL_MASK, counts && digit == leader_digit);
            if (same == active)
            {
                if (lane == leader) atomicAdd(&hist[digit], (unsigned)__popc(active));
            }
            else if (counts)
                atomicAdd(&hist[digit], 1u);
        }
        __syncthreads();

        // Warp 0 finds the bin d where the count from the top reaches `need`: lane l sums bins
        // 255 − 8l down to 248 − 8l, a scan over lanes gives the count above each lane's bins.
        if (tid < 32)
        {
            int top = 255 - 8 * lane, mine = 0;
            for (int b = top; b > top - 8; b--) mine += (int)hist[b];
            int incl = mine;
            for (int o = 1; o < 32; o <<= 1)
            {
                int y = __shfl_up_sync(NC_FULL_MASK, incl, o);
                if (lane >= o) incl += y;
            }
            int above = incl - mine;
            if (above < need && need <= incl)
                for (int b = top; b > top - 8; b--)
                {
                    if (above + (int)hist[b] >= need)
                    {
                        s_digit = (unsigned)b;
                        s_above = above;
                        s_in_bin = (int)hist[b];
                        break;
                    }
                    above += (int)hist[b];
                }
        }
        __syncthreads();
        need -= s_above;
        prefix |= s_digit << shift;
        mask |= 255u << shift;
        int candidates = (take - need) + s_in_bin;   // certainly selected + undecided

        if (!in_smem && candidates <= capacity)
        {
            // Compact every entry whose digits so far are ≥ T's into list, in column order.
            int written = 0;
            for (int base = 0; base < n; base += blockDim.x)
            {
                int i = base + tid;
                unsigned long long key = 0;
                int keep = 0;
                if (i < n)
                {
                    key = nc_rank_key(sr[i], i);
                    keep = key < ceiling && ((unsigned)(key >> 32) & mask) >= prefix;
                }
                int total;
                int pos = written + nc_block_exclusive_scan(keep, &total, warp_totals);
                if (keep && pos < capacity) list[pos] = key;   // pos < capacity by construction
                written += total;
            }
            in_smem = true;
            n = min(written, capacity);
            __syncthreads();
        }
    }

    // Selection: score key > T, or = T among the first `need` in column order. Packed scan:
    // low 16 bits count entries above T, high 16 bits ties (≤ 1024 per tile each). An entry's
    // slot is (entries above T before it) + min(ties before it, need). With the source in list
    // the writes go to slots ≤ the entry's own position and below the next tile, after every
    // thread has read its key (the scan's barriers), so compacting in place is safe.
    unsigned threshold = prefix;
    int above_so_far = 0, ties_so_far = 0;
    for (int base = 0; base < n; base += blockDim.x)
    {
        int i = base + tid;
        unsigned long long key = 0;
        int is_above = 0, is_tie = 0;
        if (i < n)
        {
            key = in_smem ? list[i] : nc_rank_key(sr[i], i);
            unsigned vkey = (unsigned)(key >> 32);
            bool eligible = in_smem || key < ceiling;
            is_above = eligible && vkey > threshold;
            is_tie = eligible && vkey == threshold;
        }
        int total;
        int before = nc_block_exclusive_scan(is_above | (is_tie << 16), &total, warp_totals);
        int above_before = above_so_far + (before & 0xffff), ties_before = ties_so_far + (before >> 16);
        int slot = above_before + min(ties_before, need);
        if ((is_above || (is_tie && ties_before < need)) && (unsigned)slot < (unsigned)take)   // true by construction
            list[slot] = key;
        above_so_far += total & 0xffff;
        ties_so_far += total >> 16;
    }

    // Bitonic sort of list[0 .. p), p = the power of two ≥ take, padded with key 0 (below every
    // real key, whose score part is ≥ the key of −inf > 0), into descending order.
    int p = 1;
    while (p < take) p <<= 1;
    for (int j = take + tid; j < p; j += blockDim.x) list[j] = 0ull;
    __syncthreads();
    for (int size = 2; size <= p; size <<= 1)
        for (int stride = size >> 1; stride > 0; stride >>= 1)
        {
            for (int t = tid; t < p / 2; t += blockDim.x)
            {
                int a = 2 * t - (t & (stride - 1)), b = a + stride;   // pairs (a, a + stride) within blocks of 2·stride
                bool descending = (a & size) == 0;                    // the last merge (size = p) is descending
                unsigned long long x = list[a], y = list[b];
                if (descending ? x < y : x > y)
                {
                    list[a] = y;
                    list[b] = x;
                }
            }
            __syncthreads();
        }

    for (int j = tid; j < take; j += blockDim.x)
    {
        int col = (int)(0xffffffffu - (unsigned)list[j]);
        values[out + j] = (unsigned)col < (unsigned)cols ? sr[col] : NAN;   // in range by construction
        indices[out + j] = col;
    }
}

// classScores[r, c] = Σ_{j<k, labels[indices[r, j]] = c} exp(values[r, j]·inv_t), one block per row.
// Each thread owns classes and adds its neighbours' weights in j order, exactly the order of the
// cpu loop, so the sums agree up to expf's rounding and never depend on scheduling (no atomics).
// The (label, weight) pairs of a row are staged in shared memory one tile of blockDim at a time.
// An entry whose neighbour index is outside [0, label_count) (code 8) or whose label is outside
// [0, num_classes) (code 9) adds nothing and is reported (nc_report_bad_index; the cpu reference throws).
extern "C" __global__ void knn_vote_forward_kernel(const float* __restrict__ values, const int* __restrict__ indices,
                                                   const int* __restrict__ labels, int label_count, float* __restrict__ class_scores,
                                                   int rows, int k, int num_classes, float inv_t, int* err)
{
    NC_DYNAMIC_SMEM(float, weight);   // blockDim floats, then blockDim ints
    int* label = reinterpret_cast<int*>(weight + blockDim.x);
    int row = blockIdx.x, tid = threadIdx.x;
    if (row >= rows) return;
    long long o = (long long)row * k;
    for (int c0 = 0; c0 < num_classes; c0 += blockDim.x)
    {
        int c = c0 + tid;
        float acc = 0.f;
        for (int j0 = 0; j0 < k; j0 += blockDim.x)
        {
            int j = j0 + tid;
            if (j < k)
            {
                int idx = indices[o + j], l = -1;
                if ((unsigned)idx >= (unsigned)label_count)
                    nc_report_bad_index(err, 8, o + j, idx, label_count);
                else if ((unsigned)(l = labels[idx]) >= (unsigned)num_classes)
                {
                    nc_report_bad_index(err, 9, idx, l, num_classes);
                    l = -1;
                }
                label[tid] = l;
                weight[tid] = expf(values[o + j] * inv_t);
            }
            __syncthreads();
            int tile = min((int)blockDim.x, k - j0);
            for (int t = 0; t < tile; t++)
                if (label[t] == c) acc += weight[t];
            __syncthreads();
        }
        if (c < num_classes) class_scores[(long long)row * num_classes + c] = acc;
    }
}

NC_EXPORT_KERNEL(topk_rows_forward_kernel);
NC_EXPORT_KERNEL(knn_vote_forward_kernel);
