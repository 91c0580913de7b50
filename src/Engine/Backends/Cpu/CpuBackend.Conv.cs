using NativeContrastive.Engine.Backends.Cpu.Conv;
using NativeContrastive.Engine.Backends.Cpu.Gemm;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Convolution as GEMM over chunks of images (see <see cref="ConvPlan"/>, <see cref="Im2Col"/>):
/// forward y = W·col, backward data dcol = Wᵀ·dy then col2im, backward weight dW = Σ_chunks dy·colᵀ.
/// Chunk layouts are [channels, count·P·Q]; with one image per chunk they coincide with
/// the NCHW tensors, so no gather/scatter copy is made. Forward and backward data use the
/// same W (resp. Wᵀ) in every chunk's GEMM, so with several chunks it is packed once per call
/// (<see cref="Sgemm.PackAllA"/>) instead of once per chunk — for the late layers the weights
/// are as large as the chunk's column matrix, and re-packing them cost as much as im2col.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Declared cost of each convolution pass: x, w and y once each; the forward's multiply-adds (the backward passes do as many).</summary>
    private static LaunchCost ConvCost(Conv2dGeometry g) => new(4 * (g.InputLength + g.WeightLength + g.OutputLength), g.ForwardFlops);

    /// <summary>
    /// A convolution operand at <see cref="Precision"/>: the tensor's own array at fp32, else a copy
    /// rounded as the tensor-core kernels round (<see cref="PrecisionRounding"/>), so the fp32 loops
    /// below give the reference semantics of tf32 and bf16 (exact products, fp32 sums).
    /// </summary>
    private float[] ConvOperand(Tensor t) =>
        Precision == Kernels.Families.Precision.Fp32 ? Data(t) : PrecisionRounding.Round(Data(t), Precision);

    /// <summary>The fp32-output forward into a pooled temporary, then rounded to bf16.</summary>
    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g)
    {
        using var fp32 = Tensor.Empty(this, g.N, g.K, g.P, g.Q);
        Conv2dForward(x, w, bias, fp32, g);
        RoundInto(fp32, y);
    }

    // x stored as bf16: the fp32 primitive on x widened (its rounding to the operand precision is then exact at bf16).

    public void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        using var wide = Widen(x);
        Conv2dForward(wide, w, bias, y, g);
    }

    public void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g)
    {
        using var wide = Widen(x);
        Conv2dForward(wide, w, bias, y, g);
    }

    public void Conv2dBackwardWeight(Bf16Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        using var wide = Widen(x);
        Conv2dBackwardWeight(wide, dy, dw, dbias, g);
    }

    // dy stored as bf16: likewise on dy widened.

    public void Conv2dBackwardData(Bf16Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        using var wide = Widen(dy);
        Conv2dBackwardData(wide, w, dx, g);
    }

    public void Conv2dBackwardWeight(Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g)
    {
        using var wide = Widen(dy);
        Conv2dBackwardWeight(x, wide, dw, null, g);
    }

    public void Conv2dBackwardWeight(Bf16Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g)
    {
        using var wideX = Widen(x);
        using var wideDy = Widen(dy);
        Conv2dBackwardWeight(wideX, wideDy, dw, null, g);
    }

    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        using var profile = CpuProfile.Time(ConvCost(g));
        float[] X = ConvOperand(x), Wt = ConvOperand(w), Y = Data(y);
        float[]? B = bias is null ? null : Data(bias);
        var plan = ConvPlan.For(g);
        int PQ = plan.PQ, CRS = plan.CRS;
        bool gemmParallel = !plan.ParallelChunks;
        float[]? packedW = plan.Chunks > 1 ? Sgemm.PackAllA(false, Wt, 0, CRS, g.K, CRS) : null;
        plan.ForEachChunk(chunk =>
        {
            int n0 = plan.Start(chunk), count = plan.Count(chunk), cols = count * PQ;
            bool direct = count == 1;
            bool lower = !(plan.IsPointwise && direct);
            // col goes straight into the GEMM's packed-B layout when it fits one column block.
            bool prePacked = lower && cols <= Sgemm.NC;
            float[]? col = !lower ? null : ConvPlan.Rent(prePacked ? Sgemm.PackedBLength(cols, CRS) : (long)CRS * cols);
            float[]? tmp = direct ? null : ConvPlan.Rent((long)g.K * cols);
            try
            {
                float[] colData = col ?? X;
                long colOffset = col is null ? (long)n0 * g.C * PQ : 0;
                if (col is not null)
                    using (CpuProfile.Time("Conv2dForward ▸ im2col"))
                    {
                        if (prePacked) Im2Col.LowerPacked(X, g, n0, count, col);
                        else Im2Col.Lower(X, g, n0, count, col);
                    }
                float[] outData = tmp ?? Y;
                long outOffset = tmp is null ? (long)n0 * g.K * PQ : 0;
                using (CpuProfile.Time("Conv2dForward ▸ gemm"))
                    Sgemm.Run(false, false, g.K, cols, CRS, 1f, Wt, 0, CRS, colData, colOffset, cols, 0f, outData, outOffset, cols, gemmParallel,
                              packedW, prePacked ? col : null);
                // [K, count·PQ] → y[n0+i, K, PQ], adding the bias on the way.
                for (int i = 0; i < count; i++)
                    for (int k = 0; k < g.K; k++)
                    {
                        var dst = Y.AsSpan(checked((int)(((long)(n0 + i) * g.K + k) * PQ)), PQ);
                        if (tmp is not null) tmp.AsSpan(k * cols + i * PQ, PQ).CopyTo(dst);
                        if (B is not null) System.Numerics.Tensors.TensorPrimitives.Add(dst, B[k], dst);
                    }
            }
            finally
            {
                if (col is not null) ConvPlan.Return(col);
                if (tmp is not null) ConvPlan.Return(tmp);
            }
        });
        if (packedW is not null) ConvPlan.Return(packedW);
    }

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        using var profile = CpuProfile.Time(ConvCost(g));
        float[] DY = ConvOperand(dy), Wt = ConvOperand(w), DX = Data(dx);
        var plan = ConvPlan.For(g);
        int PQ = plan.PQ, CRS = plan.CRS, HW = g.H * g.W;
        bool gemmParallel = !plan.ParallelChunks;
        if (g.N > 0 && PQ == 0) { Array.Clear(DX, 0, (int)g.InputLength); return; }
        float[]? packedWt = plan.Chunks > 1 ? Sgemm.PackAllA(true, Wt, 0, CRS, CRS, g.K) : null;
        plan.ForEachChunk(chunk =>
        {
            int n0 = plan.Start(chunk), count = plan.Count(chunk), cols = count * PQ;
            bool direct = count == 1;
            float[]? dyChunk = direct ? null : ConvPlan.Rent((long)g.K * cols);
            bool pointwiseDirect = plan.IsPointwise && direct;
            float[]? dcol = pointwiseDirect ? null : ConvPlan.Rent((long)CRS * cols);
            try
            {
                if (dyChunk is not null)
                    for (int i = 0; i < count; i++)
                        for (int k = 0; k < g.K; k++)
                            DY.AsSpan(checked((int)(((long)(n0 + i) * g.K + k) * PQ)), PQ).CopyTo(dyChunk.AsSpan(k * cols + i * PQ, PQ));
                float[] dyData = dyChunk ?? DY;
                long dyOffset = dyChunk is null ? (long)n0 * g.K * PQ : 0;
                // dcol[CRS, cols] = Wᵀ · dy, W stored [K, CRS].
                float[] target = dcol ?? DX;
                long targetOffset = dcol is null ? (long)n0 * g.C * HW : 0;
                using (CpuProfile.Time("Conv2dBackwardData ▸ gemm"))
                    Sgemm.Run(true, false, CRS, cols, g.K, 1f, Wt, 0, CRS, dyData, dyOffset, cols, 0f, target, targetOffset, cols, gemmParallel, packedWt);
                if (dcol is not null)
                {
                    using var col2im = CpuProfile.Time("Conv2dBackwardData ▸ col2im");
                    DX.AsSpan(checked((int)((long)n0 * g.C * HW)), count * g.C * HW).Clear();
                    Im2Col.Col2Im(dcol, g, n0, count, DX);
                }
            }
            finally
            {
                if (dyChunk is not null) ConvPlan.Return(dyChunk);
                if (dcol is not null) ConvPlan.Return(dcol);
            }
        });
        if (packedWt is not null) ConvPlan.Return(packedWt);
    }

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        using var profile = CpuProfile.Time(ConvCost(g));
        float[] X = ConvOperand(x), DY = ConvOperand(dy), DW = Data(dw);
        var plan = ConvPlan.For(g);
        int PQ = plan.PQ, CRS = plan.CRS;
        long wLen = (long)g.K * CRS;
        // Each worker accumulates its chunks into a private dW; the partial sums are added at the end.
        int workers = plan.ParallelChunks ? Math.Min(Environment.ProcessorCount, plan.Chunks) : 1;
        var partial = new float[workers][];
        void Work(int wi)
        {
            float[] acc = wi == 0 ? DW : (partial[wi] = ConvPlan.Rent(wLen));
            bool first = true;
            for (int chunk = wi; chunk < plan.Chunks; chunk += workers)
            {
                int n0 = plan.Start(chunk), count = plan.Count(chunk), cols = count * PQ;
                bool direct = count == 1;
                float[]? dyChunk = direct ? null : ConvPlan.Rent((long)g.K * cols);
                float[]? col = plan.IsPointwise && direct ? null : ConvPlan.Rent((long)CRS * cols);
                try
                {
                    if (dyChunk is not null)
                        for (int i = 0; i < count; i++)
                            for (int k = 0; k < g.K; k++)
                                DY.AsSpan(checked((int)(((long)(n0 + i) * g.K + k) * PQ)), PQ).CopyTo(dyChunk.AsSpan(k * cols + i * PQ, PQ));
                    if (col is not null) using (CpuProfile.Time("Conv2dBackwardWeight ▸ im2col")) Im2Col.Lower(X, g, n0, count, col);
                    float[] colData = col ?? X;
                    long colOffset = col is null ? (long)n0 * g.C * PQ : 0;
                    float[] dyData = dyChunk ?? DY;
                    long dyOffset = dyChunk is null ? (long)n0 * g.K * PQ : 0;
                    // dW[K, CRS] (+)= dy[K, cols] · col[CRS, cols]ᵀ.
                    using (CpuProfile.Time("Conv2dBackwardWeight ▸ gemm"))
                        Sgemm.Run(false, true, g.K, CRS, cols, 1f, dyData, dyOffset, cols, colData, colOffset, cols,
                                  first ? 0f : 1f, acc, 0, CRS, parallel: workers == 1);
                    first = false;
                }
                finally
                {
                    if (dyChunk is not null) ConvPlan.Return(dyChunk);
                    if (col is not null) ConvPlan.Return(col);
                }
            }
            if (first) Array.Clear(acc, 0, (int)wLen);
        }
        if (workers == 1) Work(0);
        else Parallel.For(0, workers, Work);
        for (int wi = 1; wi < workers; wi++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(DW.AsSpan(0, (int)wLen), partial[wi].AsSpan(0, (int)wLen), DW.AsSpan(0, (int)wLen));
            ConvPlan.Return(partial[wi]);
        }

        if (dbias is not null)
        {
            float[] DB = Data(dbias), DYF = Data(dy);   // the bias gradient is an fp32 sum at every precision
            // dbias[k] = Σ_n Σ_pq dy[n, k, pq], accumulated in double per channel.
            ParallelRows(g.K, g.N * PQ, k =>
            {
                double s = 0;
                for (int n = 0; n < g.N; n++)
                    s += System.Numerics.Tensors.TensorPrimitives.Sum(DYF.AsSpan(checked((int)(((long)n * g.K + k) * PQ)), PQ));
                DB[k] = (float)s;
            });
        }
    }
}
