// argmax.cu — per-row arg-max and arg-min of a [rows, cols] matrix: the assignment step of
// k-means (the nearest centroid is the arg-max of x·c − ½‖c‖²) and class predictions.
// A warp per row. Both reproduce CpuBackend.ArgMax exactly: the first column holding the best
// value wins ties (−0 and +0 tie), NaN ranks below every number (a row of NaN gives column 0),
// and the value written is the element itself (bit for bit).
// Launch configuration: ArgMaxKernels.cs.
#include "nc_cuda.cuh"

// True when (a at column ia) ranks before (b at column ib): a better number, or the same value
// (or both NaN) at a lower column. NaN is worse than every number.
template <bool Max>
__device__ __forceinline__ bool nc_arg_better(float a, int ia, float b, int ib)
{
    bool na = a != a, nb = b != b;
    if (na || nb) return na == nb ? ia < ib : nb;
    if (a == b) return ia < ib;
    return Max ? a > b : a < b;
}

// values[r] ← x[r, j*], indices[r] ← j*, j* the best column of row r (cols ≥ 1).
template <bool Max>
__device__ __forceinline__ void nc_arg_rows(const float* __restrict__ x, float* __restrict__ values, int* __restrict__ indices,
                                            int rows, int cols)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float* xr = x + (long long)row * cols;
    // Sentinel: a NaN at a column past the end loses to every element, NaN included.
    float best = NAN;
    int at = 0x7fffffff;
    for (int c = lane; c < cols; c += 32)
    {
        float v = xr[c];
        if (nc_arg_better<Max>(v, c, best, at)) { best = v; at = c; }
    }
    for (int o = 16; o > 0; o >>= 1)
    {
        float ov = __shfl_xor_sync(NC_FULL_MASK, best, o);
        int oi = __shfl_xor_sync(NC_FULL_MASK, at, o);
        if (nc_arg_better<Max>(ov, oi, best, at)) { best = ov; at = oi; }
    }
    if (lane == 0)
    {
        values[row] = best;
        indices[row] = at;
    }
}

// values[r] = max_j x[r, j], indices[r] = the first j where it occurs.
extern "C" __global__ void argmax_rows_forward_kernel(const float* __restrict__ x, float* __restrict__ values, int* __restrict__ indices,
                                                      int rows, int cols)
{
    nc_arg_rows<true>(x, values, indices, rows, cols);
}

// values[r] = min_j x[r, j], indices[r] = the first j where it occurs.
extern "C" __global__ void argmin_rows_forward_kernel(const float* __restrict__ x, float* __restrict__ values, int* __restrict__ indices,
                                                      int rows, int cols)
{
    nc_arg_rows<false>(x, values, indices, rows, cols);
}

NC_EXPORT_KERNEL(argmax_rows_forward_kernel);
NC_EXPORT_KERNEL(argmin_rows_forward_kernel);
