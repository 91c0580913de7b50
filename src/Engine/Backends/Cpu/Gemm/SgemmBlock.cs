using System.Buffers;

namespace NativeContrastive.Engine.Backends.Cpu.Gemm;

internal static partial class Sgemm
{
    /// <summary>
    /// One (pc, jc) block of the loop nest with B already packed: <see cref="Run(int,int,int,int)"/>
    /// packs A rows [ic, ic+mc) and sweeps the micro-tiles of columns [j0, j0+width) of the block.
    /// Independent calls touch disjoint parts of C, so they may run concurrently.
    /// </summary>
    private readonly record struct Block(bool TransA, float[] A, long AOffset, int Lda, int Pc, int Kc, int Jc, int Nc,
                                         float[] PackedB, int PackedBBase, float Alpha, float Beta, float[] C, long COffset, int Ldc,
                                         float[]? PrePackedA, int M)
    {
        public unsafe void Run(int ic, int mc, int j0, int width)
        {
            // With a pre-packed A (see PackAllA) the block is read in place; otherwise packed here.
            float[] packA = PrePackedA ?? ArrayPool<float>.Shared.Rent(RoundUp(mc, MR) * Kc);
            int aStart = PrePackedA is null ? 0 : PackedAOffset(M, Pc, ic, Kc);
            try
            {
                if (PrePackedA is null) PackA(TransA, A, AOffset, Lda, ic, mc, Pc, Kc, packA);
                float* scratch = stackalloc float[MR * NR];
                fixed (float* pa0 = packA, pb = PackedB, pc = C)
                {
                    float* pa = pa0 + aStart;
                    for (int j = j0; j < j0 + width; j += NR)
                    {
                        int nr = Math.Min(NR, Nc - j);
                        float* bPanel = pb + PackedBBase + (long)(j / NR) * NR * Kc;
                        for (int i = 0; i < mc; i += MR)
                        {
                            int mr = Math.Min(MR, mc - i);
                            float* cTile = pc + COffset + (long)(ic + i) * Ldc + Jc + j;
                            SgemmMicroKernel.Tile(Kc, pa + (long)i * Kc, bPanel, cTile, Ldc, mr, nr, Alpha, Beta, scratch);
                        }
                    }
                }
            }
            finally
            {
                if (PrePackedA is null) ArrayPool<float>.Shared.Return(packA);
            }
        }
    }
}
