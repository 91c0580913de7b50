// nc_mma.cuh — tensor-core primitives for conv_mma.cu (and the mma_fragments test kernels):
// operand rounding (cvt.rna.tf32.f32, float → bf16 round-to-nearest-even), the warp-level
// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 / m16n8k16.row.col.f32.bf16.bf16.f32, the
// fragment load ldmatrix.sync.aligned.m8n8.x4.shared.b16 and the asynchronous global → shared copy
// cp.async.ca (4 bytes, zero-filled when the source is out of range) with its commit/wait groups.
// Include after nc_cuda.cuh. Requires sm_80 or later on the GPU.
//
// Under __CUDA_EMU__ every function is plain C++ with the same semantics, bit for bit where the
// PTX ISA defines the bits:
//   * nc_tf32_round: round to nearest, ties away from zero, to 10 mantissa bits (the low 13 bits
//     cleared); ±inf stays; a finite value that rounds past FLT_MAX becomes ±inf; NaN becomes the
//     canonical NaN 0x7fffffff. Denormals are rounded, not flushed.
//   * nc_bf16_round: round to nearest even, to 7 mantissa bits (the low 16 bits cleared); NaN
//     becomes the canonical NaN 0x7fff0000 (bf16 0x7fff).
//     (PrecisionRounding.cs is the C# twin of both.)
//   * the mma stand-ins are warp-collective like the instruction: every lane passes only its own
//     fragment registers, and the operands of the whole 16×8 tile are exchanged through the
//     emulator's warp shuffles (so a lane missing from the warp, or a divergent call, is reported
//     as for any *_sync intrinsic). Products of tf32 or bf16 operands are exact in fp32, so the
//     only freedom is the accumulation order: the stand-in adds the k products to the accumulator
//     one after another in k order (the hardware's order is unspecified; tests compare with a
//     tolerance for that).
//
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k8" / "mma.m16n8k16"), with
// g = lane / 4 (groupID) and t = lane % 4 (threadID_in_group):
//   m16n8k8 tf32   A (16×8, row-major): a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4], a3 = A[g+8][t+4]
//                  B (8×8, "col"):      b0 = B[t][g], b1 = B[t+4][g]
//   m16n8k16 bf16  A (16×16): a0 = A[g][2t..2t+1], a1 = A[g+8][2t..2t+1], a2 = A[g][2t+8..2t+9],
//                  a3 = A[g+8][2t+8..2t+9]   (each .b32 holds two bf16, the lower column in bits 0..15)
//                  B (16×8): b0 = B[2t..2t+1][g], b1 = B[2t+8..2t+9][g] (the lower row in bits 0..15)
//   C / D (16×8 fp32, both shapes): c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t], c3 = C[g+8][2t+1]
//
// ldmatrix .x4 (PTX ISA, "ldmatrix"): lanes 8q … 8q+7 give the shared-memory addresses of rows
// 0 … 7 of matrix q (each row 16 bytes, 16-byte aligned); lane l receives in r[q] the 32-bit word
// l % 4 of row l / 4 of matrix q. With an fp32 row-major tile whose rows are 4 floats wide that word
// is element [g][t]: exactly a tf32 A or B fragment register. With bf16 rows of 8 elements it is
// the pair [g][2t..2t+1]: a bf16 fragment register. The emulated ldmatrix gathers the rows through
// warp shuffles of the addresses, so a lane missing from the warp is reported as for any *_sync.
//
// cp.async (PTX ISA, "cp.async"): nc_cp_async4 starts a copy of 4 bytes (or writes 4 zero bytes
// when !valid) into shared memory, nc_cp_async16 one of 16 (both addresses 16-byte aligned);
// nc_cp_async_commit closes the thread's current group;
// nc_cp_async_wait<N> returns once at most the N newest committed groups are still in flight. A
// copy is visible to its own thread after the wait and to the block after a __syncthreads that
// follows the waits. The emulator fills the destination with NaN at the issue and lands the copy
// only at its thread's wait (the latest moment the hardware may), so a read before the wait, or a
// thread still reading a stage that another has begun to refill, reads NaN; a thread that exits
// with copies never waited for is reported.
#pragma once

#if defined(__CUDACC_RTC__) || defined(__CUDACC__)

// x rounded to tf32 (as an fp32 value whose low 13 bits are 0).
__device__ __forceinline__ float nc_tf32_round(float x)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return __uint_as_float(r);
}

// Two floats rounded to bf16 (RNE) and packed: lo in bits 0..15, hi in bits 16..31.
__device__ __forceinline__ unsigned nc_bf16x2_pack(float lo, float hi)
{
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// x rounded to bf16 (as an fp32 value whose low 16 bits are 0).
__device__ __forceinline__ float nc_bf16_round(float x) { return __uint_as_float(nc_bf16x2_pack(0.f, x) & 0xffff0000u); }

// acc += A·B for one 16×8×8 tf32 tile (fragments as above; a and b hold tf32 bit patterns).
__device__ __forceinline__ void nc_mma_tf32_m16n8k8(float (&acc)[4], const unsigned (&a)[4], const unsigned (&b)[2])
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// acc += A·B for one 16×8×16 bf16 tile (a and b hold packed bf16 pairs).
__device__ __forceinline__ void nc_mma_bf16_m16n8k16(float (&acc)[4], const unsigned (&a)[4], const unsigned (&b)[2])
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// The shared-state-space address of a generic pointer into shared memory.
__device__ __forceinline__ unsigned nc_smem_addr(const void* p)
{
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return (unsigned)a;
}

// r[q] ← this lane's word of 8×8 b16 matrix q; row is this lane's row address (see the top).
__device__ __forceinline__ void nc_ldmatrix_x4(unsigned (&r)[4], const void* row)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(nc_smem_addr(row)));
}

// *smem ← valid ? *src : 0, asynchronously (4 bytes; src is not read when !valid).
__device__ __forceinline__ void nc_cp_async4(void* smem, const void* src, bool valid)
{
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(nc_smem_addr(smem)), "l"(src), "r"(valid ? 4 : 0) : "memory");
}

// v, made opaque to the optimiser: a per-thread offset computed once from threadIdx stays in its
// register instead of being recomputed from threadIdx in every iteration of a main loop (ptxas
// rematerialises such values to save registers even where registers are to spare).
__device__ __forceinline__ int nc_opaque(int v)
{
    asm volatile("" : "+r"(v));
    return v;
}

// *(unsigned*)smem = v: two bf16 tile elements stored at once (smem 4-byte aligned).
__device__ __forceinline__ void nc_sts_u32(void* smem, unsigned v) { *reinterpret_cast<unsigned*>(smem) = v; }

// The same for 16 bytes (both addresses 16-byte aligned).
__device__ __forceinline__ void nc_cp_async16(void* smem, const void* src, bool valid)
{
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;" ::"r"(nc_smem_addr(smem)), "l"(src), "r"(valid ? 16 : 0) : "memory");
}

__device__ __forceinline__ void nc_cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

template <int N> __device__ __forceinline__ void nc_cp_async_wait() { asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory"); }

#else  // __CUDA_EMU__

__device__ __forceinline__ float nc_tf32_round(float x)
{
    unsigned u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return __uint_as_float(0x7fffffffu);
    if ((u & 0x7f800000u) == 0x7f800000u) return x;
    return __uint_as_float((u + 0x1000u) & 0xffffe000u);   // ties away: add half an ulp of the magnitude, truncate
}

// cvt.rn.bf16 in integer arithmetic: nc_cuda.cuh's nc_float_to_bf16, which bf16 storage uses too.
__device__ __forceinline__ unsigned nc_bf16_bits(float x) { return nc_float_to_bf16(x); }

__device__ __forceinline__ unsigned nc_bf16x2_pack(float lo, float hi) { return nc_bf16_bits(lo) | (nc_bf16_bits(hi) << 16); }

__device__ __forceinline__ float nc_bf16_round(float x) { return __uint_as_float(nc_bf16_bits(x) << 16); }

__device__ __forceinline__ int nc_mma_lane()
{
    return (int)(((threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x) & 31u);
}

// Rows g and g+8 of A (ar) and columns 2t and 2t+1 of B (bc) gathered through shuffles, then
// acc[i] += Σ_k ar[i>>1][k] · bc[i&1][k] in k order.
template <int KD>
__device__ __forceinline__ void nc_mma_emu_accumulate(float (&acc)[4], const float (&ar)[2][KD], const float (&bc)[2][KD])
{
    for (int i = 0; i < 4; i++)
    {
        float s = acc[i];
        for (int k = 0; k < KD; k++) s += ar[i >> 1][k] * bc[i & 1][k];
        acc[i] = s;
    }
}

__device__ inline void nc_mma_tf32_m16n8k8(float (&acc)[4], const unsigned (&a)[4], const unsigned (&b)[2])
{
    int lane = nc_mma_lane(), g = lane >> 2, t = lane & 3;
    float ar[2][8], bc[2][8];
    for (int tt = 0; tt < 4; tt++)
        for (int r = 0; r < 4; r++)   // a[r]: row g + 8·(r&1), column tt + 4·(r>>1) of lane g·4 + tt
            ar[r & 1][tt + 4 * (r >> 1)] = __uint_as_float(__shfl_sync(NC_FULL_MASK, a[r], g * 4 + tt) & 0xffffe000u);
    for (int j = 0; j < 2; j++)
        for (int tt = 0; tt < 4; tt++)
            for (int r = 0; r < 2; r++)   // b[r] of lane n·4 + tt: B[tt + 4r][n]
                bc[j][tt + 4 * r] = __uint_as_float(__shfl_sync(NC_FULL_MASK, b[r], (2 * t + j) * 4 + tt) & 0xffffe000u);
    nc_mma_emu_accumulate<8>(acc, ar, bc);
}

__device__ inline void nc_mma_bf16_m16n8k16(float (&acc)[4], const unsigned (&a)[4], const unsigned (&b)[2])
{
    int lane = nc_mma_lane(), g = lane >> 2, t = lane & 3;
    float ar[2][16], bc[2][16];
    for (int tt = 0; tt < 4; tt++)
        for (int r = 0; r < 4; r++)   // a[r] of lane g·4 + tt: row g + 8·(r&1), columns 2tt + 8·(r>>1) + {0, 1}
        {
            unsigned v = __shfl_sync(NC_FULL_MASK, a[r], g * 4 + tt);
            int col = 2 * tt + 8 * (r >> 1);
            ar[r & 1][col] = __uint_as_float(v << 16);
            ar[r & 1][col + 1] = __uint_as_float(v & 0xffff0000u);
        }
    for (int j = 0; j < 2; j++)
        for (int tt = 0; tt < 4; tt++)
            for (int r = 0; r < 2; r++)   // b[r] of lane n·4 + tt: B[2tt + 8r + {0, 1}][n]
            {
                unsigned v = __shfl_sync(NC_FULL_MASK, b[r], (2 * t + j) * 4 + tt);
                int k = 2 * tt + 8 * r;
                bc[j][k] = __uint_as_float(v << 16);
                bc[j][k + 1] = __uint_as_float(v & 0xffff0000u);
            }
    nc_mma_emu_accumulate<16>(acc, ar, bc);
}

__device__ inline void nc_ldmatrix_x4(unsigned (&r)[4], const void* row)
{
    int lane = nc_mma_lane();
    if ((uintptr_t)row % 16 != 0) nc_emu_fail(__FILE__, __LINE__, "ldmatrix row address is not 16-byte aligned");
    for (int q = 0; q < 4; q++)   // row lane/4 of matrix q is the address lane 8q + lane/4 gave
    {
        const unsigned char* p = __shfl_sync(NC_FULL_MASK, static_cast<const unsigned char*>(row), 8 * q + lane / 4);
        std::memcpy(&r[q], p + 4 * (lane % 4), 4);
    }
}

__device__ inline void nc_cp_async4(void* smem, const void* src, bool valid) { nc_emu_cp_async(smem, src, 4, valid ? 4u : 0u); }

__device__ inline void nc_cp_async16(void* smem, const void* src, bool valid) { nc_emu_cp_async(smem, src, 16, valid ? 16u : 0u); }

__device__ inline int nc_opaque(int v) { return v; }

__device__ inline void nc_sts_u32(void* smem, unsigned v) { __builtin_memcpy(smem, &v, 4); }   // (no aliasing of the tile's shorts)

__device__ inline void nc_cp_async_commit() { nc_emu_cp_async_commit(); }

template <int N> __device__ inline void nc_cp_async_wait() { nc_emu_cp_async_wait(N); }

#endif

// The bf16 bit pattern of x rounded to nearest even (what a bf16 shared-memory tile stores).
__device__ __forceinline__ unsigned short nc_bf16_bits16(float x) { return (unsigned short)(nc_bf16x2_pack(x, 0.f) & 0xffffu); }
