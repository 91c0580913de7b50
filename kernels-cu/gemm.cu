// gemm.cu — single-precision GEMM, row-major: C = alpha · op(A) · op(B) + beta · C,
// op(A) is M×K (A stored M×K, or K×M when transA), op(B) is K×N (B stored K×N, or N×K when
// transB); lda/ldb/ldc are row strides. beta = 0 never reads C (it may hold NaN).
// Batched (bmm): blockIdx.z is the batch index; batch z reads A + z·strideA, B + z·strideB and
// writes C + z·strideC (a stride of 0 broadcasts that operand; one product has gridDim.z = 1).
// Two versions, kept as a study piece next to cuBLAS:
//   v1 naive: one thread per C element, K loads of A and B from global memory each.
//   v2 tiled: a 64×64 C tile per 256-thread block, 16-deep K slices staged in shared
//             memory, each thread accumulates a 4×4 register tile (strided by 16 so that
//             stores stay coalesced): 16 FMAs per 8 shared loads.
// Launch configuration: GemmKernels.cs.
#include "nc_cuda.cuh"

__device__ __forceinline__ float nc_load_a(const float* A, int lda, int transA, int i, int k)
{
    return transA ? A[(long long)k * lda + i] : A[(long long)i * lda + k];
}

__device__ __forceinline__ float nc_load_b(const float* B, int ldb, int transB, int k, int j)
{
    return transB ? B[(long long)j * ldb + k] : B[(long long)k * ldb + j];
}

// v1: C[i, j] for i = blockIdx.y·16 + ty, j = blockIdx.x·16 + tx (block 16×16).
extern "C" __global__ void gemm_forward_naive_kernel(int transA, int transB, int M, int N, int K, float alpha,
                                                     const float* __restrict__ A, int lda, const float* __restrict__ B, int ldb,
                                                     float beta, float* C, int ldc, long long strideA, long long strideB,
                                                     long long strideC)
{
    A += blockIdx.z * strideA;
    B += blockIdx.z * strideB;
    C += blockIdx.z * strideC;
    int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= M || j >= N) return;
    float acc = 0.f;
    for (int k = 0; k < K; k++) acc += nc_load_a(A, lda, transA, i, k) * nc_load_b(B, ldb, transB, k, j);
    float* c = C + (long long)i * ldc + j;
    *c = beta == 0.f ? alpha * acc : alpha * acc + beta * *c;
}

#define NC_GEMM_BM 64
#define NC_GEMM_BN 64
#define NC_GEMM_BK 16

// v2: block (16, 16) computes C[row0 .. row0+63, col0 .. col0+63]; thread (tx, ty) owns
// rows row0 + ty + 16r and columns col0 + tx + 16c, r, c ∈ 0..3.
// Invariant after the k-loop: acc[r][c] = Σ_k op(A)[i, k] · op(B)[k, j] over all K.
extern "C" __global__ void gemm_forward_tiled_kernel(int transA, int transB, int M, int N, int K, float alpha,
                                                     const float* __restrict__ A, int lda, const float* __restrict__ B, int ldb,
                                                     float beta, float* C, int ldc, long long strideA, long long strideB,
                                                     long long strideC)
{
    A += blockIdx.z * strideA;
    B += blockIdx.z * strideB;
    C += blockIdx.z * strideC;
    __shared__ float As[NC_GEMM_BK][NC_GEMM_BM + 1];   // As[k][m] = op(A)[row0 + m, k0 + k]; +1: conflict-free stores
    __shared__ float Bs[NC_GEMM_BK][NC_GEMM_BN + 1];   // Bs[k][n] = op(B)[k0 + k, col0 + n]
    int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
    int row0 = blockIdx.y * NC_GEMM_BM, col0 = blockIdx.x * NC_GEMM_BN;
    float acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) acc[r][c] = 0.f;

    for (int k0 = 0; k0 < K; k0 += NC_GEMM_BK)
    {
        // Stage the slices: 1024 elements each, 4 per thread; consecutive threads walk the
        // operand's contiguous dimension so that the global loads coalesce.
        for (int q = 0; q < 4; q++)
        {
            int e = tid + 256 * q;
            int m = transA ? (e & 63) : (e >> 4), ka = transA ? (e >> 6) : (e & 15);
            int gi = row0 + m, gk = k0 + ka;
            As[ka][m] = (gi < M && gk < K) ? nc_load_a(A, lda, transA, gi, gk) : 0.f;
            int n = transB ? (e >> 4) : (e & 63), kb = transB ? (e & 15) : (e >> 6);
            int gj = col0 + n, gkb = k0 + kb;
            Bs[kb][n] = (gj < N && gkb < K) ? nc_load_b(B, ldb, transB, gkb, gj) : 0.f;
        }
        __syncthreads();   // tiles complete before anyone reads them
#pragma unroll
        for (int k = 0; k < NC_GEMM_BK; k++)
        {
            float a[4], b[4];
            for (int r = 0; r < 4; r++) a[r] = As[k][ty + 16 * r];
            for (int c = 0; c < 4; c++) b[c] = Bs[k][tx + 16 * c];
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
        }
        __syncthreads();   // everyone done reading before the next slice overwrites the tiles
    }
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
        {
            int i = row0 + ty + 16 * r, j = col0 + tx + 16 * c;
            if (i < M && j < N)
            {
                float* p = C + (long long)i * ldc + j;
                *p = beta == 0.f ? alpha * acc[r][c] : alpha * acc[r][c] + beta * *p;
            }
        }
}

#define NC_TRANSPOSE_TILE 32

// y[z, c, r] = x[z, r, c] for a batch of row-major [rows, cols] matrices (z = blockIdx.z).
// Block (32, 8) moves a 32×32 tile through shared memory: it reads the tile row by row
// (consecutive tx → consecutive columns of x, coalesced) and writes it column by column of
// the tile (consecutive tx → consecutive columns of y, coalesced too); each thread handles
// rows ty, ty + 8, ty + 16, ty + 24 of the tile. The +1 column keeps the transposed read of
// the tile free of bank conflicts.
extern "C" __global__ void transpose_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int rows, int cols)
{
    __shared__ float tile[NC_TRANSPOSE_TILE][NC_TRANSPOSE_TILE + 1];
    long long plane = (long long)rows * cols;
    x += blockIdx.z * plane;
    y += blockIdx.z * plane;
    int r0 = blockIdx.y * NC_TRANSPOSE_TILE, c0 = blockIdx.x * NC_TRANSPOSE_TILE;
    for (int dr = threadIdx.y; dr < NC_TRANSPOSE_TILE; dr += blockDim.y)
    {
        int r = r0 + dr, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[dr][threadIdx.x] = x[(long long)r * cols + c];
    }
    __syncthreads();   // the whole tile is loaded before it is read transposed
    for (int dc = threadIdx.y; dc < NC_TRANSPOSE_TILE; dc += blockDim.y)
    {
        int c = c0 + dc, r = r0 + threadIdx.x;
        if (r < rows && c < cols) y[(long long)c * rows + r] = tile[threadIdx.x][dc];
    }
}

NC_EXPORT_KERNEL(gemm_forward_naive_kernel);
NC_EXPORT_KERNEL(gemm_forward_tiled_kernel);
NC_EXPORT_KERNEL(transpose_forward_kernel);
