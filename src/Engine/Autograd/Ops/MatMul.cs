using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    /// <summary>
    /// C[m,n] = op(a)·op(b) for 2-D a, b, op(X) = Xᵀ when the flag is set (a is [m,k] or [k,m],
    /// b is [k,n] or [n,k]). Backward with dC: ∂L/∂op(a) = dC·op(b)ᵀ, ∂L/∂op(b) = op(a)ᵀ·dC,
    /// each written in the stored layout of its input.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"MatMul: needs 2-D operands, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}.");
        int m = transA ? a.Dim(1) : a.Dim(0), k = transA ? a.Dim(0) : a.Dim(1);
        int kb = transB ? b.Dim(1) : b.Dim(0), n = transB ? b.Dim(0) : b.Dim(1);
        if (k != kb)
            throw new ArgumentException($"MatMul: inner dimensions differ, op(a) is [{m},{k}] and op(b) is [{kb},{n}] (a {ShapeUtil.Format(a.Shape)} transA={transA}, b {ShapeUtil.Format(b.Shape)} transB={transB}).");
        var be = a.Backend;
        var c = Tensor.Empty(be, m, n);
        be.Gemm(transA, transB, m, n, k, 1f, a, 0, b, 0, 0f, c, 0);
        if (Tape.NeedsGrad(a, b))
            Tape.Record("MatMul", c, dc =>
            {
                if (a.RequiresGrad)
                {
                    var da = Tape.NewContribution(a);
                    // a stored [m,k]: da = dC·op(b)ᵀ.  a stored [k,m]: da = op(b)·dCᵀ.
                    if (!transA) be.Gemm(false, !transB, m, k, n, 1f, dc, 0, b, 0, 0f, da, 0);
                    else be.Gemm(transB, true, k, m, n, 1f, b, 0, dc, 0, 0f, da, 0);
                    Tape.AccumulateOwned(a, da);
                }
                if (b.RequiresGrad)
                {
                    var db = Tape.NewContribution(b);
                    // b stored [k,n]: db = op(a)ᵀ·dC.  b stored [n,k]: db = dCᵀ·op(a).
                    if (!transB) be.Gemm(!transA, false, k, n, m, 1f, a, 0, dc, 0, 0f, db, 0);
                    else be.Gemm(true, transA, n, k, m, 1f, dc, 0, a, 0, 0f, db, 0);
                    Tape.AccumulateOwned(b, db);
                }
            });
        return c;
    }
}
