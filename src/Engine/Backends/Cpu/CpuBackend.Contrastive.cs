using System.Buffers;
using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Fused contrastive losses, row by row (rows split across cores when large). InfoNCE and SupCon use
/// a scratch row of t = s·(1/τ) with the excluded diagonal set to −∞, so the usual
/// max-subtracted log-sum-exp of TensorPrimitives applies unchanged. Formulas on
/// <see cref="IBackend"/>.
/// </summary>
public sealed partial class CpuBackend
{
    public void InfoNceRows(Tensor similarity, IntTensor positives, float temperature, bool excludeSelf, int rows, int cols,
                            Tensor loss, Tensor logSumExp)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + 3L * rows));
        float[] S = Data(similarity), L = Data(loss), Lse = Data(logSumExp);
        int[] P = Data(positives);
        RequirePositivesValid("InfoNceRows", P, rows, cols, excludeSelf);
        float invT = 1f / temperature;
        ParallelRows(rows, cols, r =>
        {
            var t = ArrayPool<float>.Shared.Rent(cols);
            try
            {
                var tr = t.AsSpan(0, cols);
                TensorPrimitives.Multiply(S.AsSpan(r * cols, cols), invT, tr);
                float positive = tr[P[r]];
                if (excludeSelf) tr[r] = float.NegativeInfinity;
                float max = TensorPrimitives.Max(tr);
                TensorPrimitives.Subtract(tr, max, tr);
                TensorPrimitives.Exp(tr, tr);
                float lse = max + MathF.Log(TensorPrimitives.Sum(tr));
                Lse[r] = lse;
                L[r] = lse - positive;
            }
            finally
            {
                ArrayPool<float>.Shared.Return(t);
            }
        });
    }

    public void InfoNceRowsBackward(Tensor similarity, IntTensor positives, Tensor logSumExp, Tensor dLoss, float temperature,
                                    bool excludeSelf, int rows, int cols, Tensor dSimilarity)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols + 3L * rows));
        float[] S = Data(similarity), Lse = Data(logSumExp), DL = Data(dLoss), DS = Data(dSimilarity);
        int[] P = Data(positives);
        RequirePositivesValid("InfoNceRowsBackward", P, rows, cols, excludeSelf);
        float invT = 1f / temperature;
        ParallelRows(rows, cols, r =>
        {
            // dS = g·(exp(t − lse) − onehot)/τ, written as exp(t − lse)·(g/τ) − onehot·(g/τ).
            var ds = DS.AsSpan(r * cols, cols);
            float scale = DL[r] * invT;
            TensorPrimitives.Multiply(S.AsSpan(r * cols, cols), invT, ds);
            TensorPrimitives.Subtract(ds, Lse[r], ds);
            TensorPrimitives.Exp(ds, ds);
            TensorPrimitives.Multiply(ds, scale, ds);
            ds[P[r]] -= scale;
            if (excludeSelf) ds[r] = 0f;
        });
    }

    public void NceRows(Tensor logits, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor loss)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + rows + 1));
        float[] S = Data(logits), L = Data(loss);
        float c = NceOffset(normaliserZ, cols - 1, dataSize);
        ParallelRows(rows, cols, r =>
        {
            var s = S.AsSpan(r * cols, cols);
            float total = Softplus(c - s[0]);
            for (int j = 1; j < cols; j++) total += Softplus(s[j] - c);
            L[r] = total;
        });
    }

    public void NceRowsBackward(Tensor logits, Tensor dLoss, Tensor normaliserZ, long dataSize, int rows, int cols, Tensor dLogits)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols + rows + 1));
        float[] S = Data(logits), DL = Data(dLoss), DS = Data(dLogits);
        float c = NceOffset(normaliserZ, cols - 1, dataSize);
        ParallelRows(rows, cols, r =>
        {
            int o = r * cols;
            float g = DL[r];
            DS[o] = -g / (1f + MathF.Exp(S[o] - c));   // σ(u) − 1 = −σ(−u)
            for (int j = 1; j < cols; j++) DS[o + j] = g / (1f + MathF.Exp(c - S[o + j]));
        });
    }

    public void SupConRows(Tensor similarity, IntTensor labels, float temperature, int rows, int cols, Tensor loss, Tensor logSumExp,
                           IntTensor positiveCounts)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + cols + 4L * rows));
        RequireSupConShape("SupConRows", labels, rows, cols);
        float[] S = Data(similarity), L = Data(loss), Lse = Data(logSumExp);
        int[] Y = Data(labels), N = Data(positiveCounts);
        float invT = 1f / temperature;
        ParallelRows(rows, cols, r =>
        {
            var t = ArrayPool<float>.Shared.Rent(cols);
            try
            {
                var tr = t.AsSpan(0, cols);
                TensorPrimitives.Multiply(S.AsSpan(r * cols, cols), invT, tr);
                int own = Y[r], n = 0;
                float positives = 0f;
                for (int j = 0; j < cols; j++)
                    if (j != r && Y[j] == own)
                    {
                        positives += tr[j];
                        n++;
                    }
                tr[r] = float.NegativeInfinity;
                float max = TensorPrimitives.Max(tr);
                TensorPrimitives.Subtract(tr, max, tr);
                TensorPrimitives.Exp(tr, tr);
                float lse = max + MathF.Log(TensorPrimitives.Sum(tr));
                Lse[r] = lse;
                N[r] = n;
                L[r] = n > 0 ? lse - positives / n : 0f;
            }
            finally
            {
                ArrayPool<float>.Shared.Return(t);
            }
        });
    }

    public void SupConRowsBackward(Tensor similarity, IntTensor labels, Tensor logSumExp, IntTensor positiveCounts, Tensor dLoss, float temperature,
                                   int rows, int cols, Tensor dSimilarity)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2L * rows * cols + cols + 4L * rows));
        RequireSupConShape("SupConRowsBackward", labels, rows, cols);
        float[] S = Data(similarity), Lse = Data(logSumExp), DL = Data(dLoss), DS = Data(dSimilarity);
        int[] Y = Data(labels), N = Data(positiveCounts);
        float invT = 1f / temperature;
        ParallelRows(rows, cols, r =>
        {
            // dS = g·(exp(t − lse) − [j ∈ P]/|P|)/τ, written as exp(t − lse)·(g/τ) − [j ∈ P]·(g/τ)/|P|.
            var ds = DS.AsSpan(r * cols, cols);
            int n = N[r], own = Y[r];
            if (n == 0)
            {
                ds.Clear();
                return;
            }
            float scale = DL[r] * invT, w = scale / n;
            TensorPrimitives.Multiply(S.AsSpan(r * cols, cols), invT, ds);
            TensorPrimitives.Subtract(ds, Lse[r], ds);
            TensorPrimitives.Exp(ds, ds);
            TensorPrimitives.Multiply(ds, scale, ds);
            for (int j = 0; j < cols; j++)
                if (Y[j] == own) ds[j] -= w;
            ds[r] = 0f;
        });
    }

    private static void RequireSupConShape(string primitive, IntTensor labels, int rows, int cols)
    {
        if (rows < 0 || rows > cols || (cols < 2 && rows > 0))
            throw new ArgumentOutOfRangeException(nameof(rows), $"{primitive}: the anchors are the first rows of the candidates (rows ≤ cols, cols ≥ 2), got {rows} × {cols}.");
        if (labels.Length < cols)
            throw new ArgumentException($"{primitive}: needs a label per column ({cols}), got {labels.Length}.", nameof(labels));
    }

    /// <summary>
    /// c = ln(Z·m/N) of NPID's NCE as the kernel evaluates it (contrastive.cu nc_nce_offset): the fp32 log of
    /// Z = normaliserZ[0] plus ln(m/N) in double rounded once (the launcher's argument), so that emu and cpu agree.
    /// </summary>
    private static float NceOffset(Tensor normaliserZ, int negatives, long dataSize)
    {
        if (normaliserZ.Length < 1) throw new ArgumentException("NCE: the normaliser Z must hold one element.", nameof(normaliserZ));
        if (negatives < 1) throw new ArgumentOutOfRangeException(nameof(negatives), $"NCE needs m ≥ 1 negatives (cols ≥ 2), got m = {negatives}.");
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NCE needs a data size N > 0, got {dataSize}.");
        return MathF.Log(Data(normaliserZ)[0]) + (float)(Math.Log(negatives) - Math.Log(dataSize));
    }

    /// <summary>softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}).</summary>
    private static float Softplus(float x) => MathF.Max(x, 0f) + Log1P(MathF.Exp(-MathF.Abs(x)));

    /// <summary>
    /// log(1 + x) accurate for small x (Goldberg's trick: the rounding error of u = 1 + x
    /// cancels in log(u)·x/(u − 1)), as CUDA's log1pf; MathF has no log1p.
    /// </summary>
    private static float Log1P(float x)
    {
        float u = 1f + x;
        return u == 1f ? x : MathF.Log(u) * (x / (u - 1f));
    }

    /// <summary>Every positive addresses a column, and not the excluded self column.</summary>
    private static void RequirePositivesValid(string primitive, int[] positives, int rows, int cols, bool excludeSelf)
    {
        RequireIndicesInRange(primitive, positives, rows, cols);
        if (excludeSelf)
            for (int r = 0; r < rows; r++)
                if (positives[r] == r)
                    throw new ArgumentException($"{primitive}: positives[{r}] = {r} is the excluded self column.", nameof(positives));
    }
}
