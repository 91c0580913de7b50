using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y[b,k] = ⟨rows[b,k,:], v[b,:]⟩ for rows [B,K,D] and v [B,D]: y is [B,K]. The
    /// (m+1) logits of NPID's NCE, one row of bank entries per sample (lemniscate's
    /// bmm(weight, x)). A strided batched GEMM with n = 1: y[b] = rows[b]·v[b].
    /// Backward with dy [B,K]: ∂L/∂v[b] = dy[b]ᵀ·rows[b] ([1,K]·[K,D]),
    /// ∂L/∂rows[b] = dy[b]·v[b]ᵀ (outer product [K,1]·[1,D]).
    /// </summary>
    public static Tensor BatchedRowDot(Tensor rows, Tensor v)
    {
        if (rows.Rank != 3 || v.Rank != 2 || rows.Dim(0) != v.Dim(0) || rows.Dim(2) != v.Dim(1))
            throw new ArgumentException($"BatchedRowDot: needs rows [B,K,D] and v [B,D], got {ShapeUtil.Format(rows.Shape)} and {ShapeUtil.Format(v.Shape)}.");
        int batch = rows.Dim(0), k = rows.Dim(1), d = rows.Dim(2);
        var be = rows.Backend;
        var y = Tensor.Empty(be, batch, k);
        if (batch == 0 || k == 0) return y;
        long rowStride = (long)k * d;
        be.GemmStridedBatched(false, false, k, 1, d, 1f, rows, rowStride, v, d, 0f, y, k, batch);
        if (Tape.NeedsGrad(rows, v))
            Tape.Record("BatchedRowDot", y, dy =>
            {
                if (v.RequiresGrad)
                {
                    // dv[b] [1,D] = dy[b]ᵀ [1,K] · rows[b] [K,D]; dy[b] stored [K,1].
                    var dv = v.EmptyLike();
                    be.GemmStridedBatched(true, false, 1, d, k, 1f, dy, k, rows, rowStride, 0f, dv, d, batch);
                    Tape.AccumulateOwned(v, dv);
                }
                if (rows.RequiresGrad)
                {
                    // drows[b] [K,D] = dy[b] [K,1] · v[b] [1,D].
                    var dr = rows.EmptyLike();
                    be.GemmStridedBatched(false, false, k, d, 1, 1f, dy, k, v, d, 0f, dr, rowStride, batch);
                    Tape.AccumulateOwned(rows, dr);
                }
            });
        return y;
    }
}
