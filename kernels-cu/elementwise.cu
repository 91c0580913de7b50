// elementwise.cu — one output element per index, no communication between threads.
//
// Every kernel is a grid-stride loop over n elements (any grid size covers any n) and reads
// each input once: memory-bound, so they are the yardstick for achieved GB/s. In-place use
// (y aliasing x) is allowed wherever the formula reads x[i] before writing y[i].
// Launch configuration: ElementwiseKernels.cs.
#include "nc_cuda.cuh"

#define NC_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

// y[i] = value
extern "C" __global__ void fill_forward_kernel(float* __restrict__ y, float value, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = value;
}

// y[i] = x[i]
extern "C" __global__ void copy_forward_kernel(const float* __restrict__ x, float* __restrict__ y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = x[i];
}

// y[i] = a[i] + b[i]
extern "C" __global__ void add_forward_kernel(const float* a, const float* b, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

// y[i] += alpha · x[i]   (BLAS axpy)
extern "C" __global__ void axpy_forward_kernel(float alpha, const float* x, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = fmaf(alpha, x[i], y[i]);
}

// y[i] = alpha · x[i] + beta · y[i]   (IBackend.Axpby). beta = 0 never reads y, so NaN or
// garbage left in a pooled buffer does not leak into the result (0 · NaN would be NaN).
extern "C" __global__ void axpby_forward_kernel(float alpha, const float* x, float beta, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = beta == 0.f ? alpha * x[i] : fmaf(alpha, x[i], beta * y[i]);
}

// y[i] = scale · x[i] + shift   (IBackend.Affine; in place allowed)
extern "C" __global__ void affine_forward_kernel(const float* x, float scale, float shift, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = scale * x[i] + shift;
}

// y[i] = alpha · x[i]
extern "C" __global__ void scale_forward_kernel(const float* x, float alpha, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = alpha * x[i];
}

// y[i] = a[i] · b[i]
extern "C" __global__ void mul_forward_kernel(const float* a, const float* b, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = a[i] * b[i];
}

// y[i] = max(x[i], 0)   (NaN stays NaN, as in PyTorch)
extern "C" __global__ void relu_forward_kernel(const float* x, float* y, long long n)
{
    NC_GRID_STRIDE(i, n)
    {
        y[i] = nc_relu(x[i]);
    }
}

// dx[i] = dy[i] · [x[i] > 0]   (the subgradient at 0 is taken as 0)
extern "C" __global__ void relu_backward_kernel(const float* x, const float* dy, float* dx, long long n)
{
    NC_GRID_STRIDE(i, n) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

// y[i] = exp(x[i])   (accurate expf, not __expf: ≤ 2 ulp on the GPU)
extern "C" __global__ void exp_forward_kernel(const float* x, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = expf(x[i]);
}

// y[i] = log(x[i])   (−inf at 0, NaN below)
extern "C" __global__ void log_forward_kernel(const float* x, float* y, long long n)
{
    NC_GRID_STRIDE(i, n) y[i] = logf(x[i]);
}

// y[r, c] = x[r, c] + bias[c]   for a row-major [rows, cols] x; n = rows · cols
extern "C" __global__ void bias_add_forward_kernel(const float* x, const float* __restrict__ bias, float* y, long long n, int cols)
{
    NC_GRID_STRIDE(i, n) y[i] = x[i] + bias[i % cols];
}

// Strided block copy (IBackend.CopyBlocks, behind concat, split and slicing): element e of the
// blockCount × blockLength blocks is i = e mod blockLength of block b = e / blockLength,
//   dst[dst_offset + b·dst_stride + i] = src[src_offset + b·src_stride + i].
// One thread per element: consecutive threads copy consecutive addresses within a block.
// Source and destination may be one tensor as long as the ranges read and written are disjoint
// (no __restrict__); overlapping ranges have no defined order here.
extern "C" __global__ void copy_blocks_forward_kernel(const float* src, long long src_offset, long long src_stride,
                                                      float* dst, long long dst_offset, long long dst_stride,
                                                      long long block_length, long long block_count)
{
    NC_GRID_STRIDE(e, block_length * block_count)
    {
        long long b = e / block_length, i = e - b * block_length;
        dst[dst_offset + b * dst_stride + i] = src[src_offset + b * src_stride + i];
    }
}

NC_EXPORT_KERNEL(fill_forward_kernel);
NC_EXPORT_KERNEL(copy_forward_kernel);
NC_EXPORT_KERNEL(add_forward_kernel);
NC_EXPORT_KERNEL(axpy_forward_kernel);
NC_EXPORT_KERNEL(axpby_forward_kernel);
NC_EXPORT_KERNEL(affine_forward_kernel);
NC_EXPORT_KERNEL(scale_forward_kernel);
NC_EXPORT_KERNEL(mul_forward_kernel);
NC_EXPORT_KERNEL(relu_forward_kernel);
NC_EXPORT_KERNEL(relu_backward_kernel);
NC_EXPORT_KERNEL(exp_forward_kernel);
NC_EXPORT_KERNEL(log_forward_kernel);
NC_EXPORT_KERNEL(bias_add_forward_kernel);
NC_EXPORT_KERNEL(copy_blocks_forward_kernel);
