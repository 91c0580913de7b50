using System.Buffers;
using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Batch norm over x viewed as [n, c, hw], one task per channel (channel ch owns the n
/// strided planes x[i, ch, :]); statistics in double.
/// </summary>
public sealed partial class CpuBackend
{
    // x stored as bf16: the fp32 primitive on x widened into a pooled temporary (exact).

    public void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu)
    {
        using var wide = Widen(x);
        BatchNormForwardTraining(wide, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
    }

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var wide = Widen(x);
        BatchNormBackward(wide, dy, y, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
    }

    public void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps)
    {
        using var wide = Widen(x);
        BatchNormAddReluForwardTraining(wide, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
    }

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var wide = Widen(x);
        BatchNormAddReluBackward(wide, dy, y, gamma, saveMean, saveInvStd, dx, dresidual, dgamma, dbeta, n, c, hw);
    }

    public void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu)
    {
        using var wide = Widen(x);
        BatchNormForwardInference(wide, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu);
    }

    public void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps)
    {
        using var wide = Widen(x);
        BatchNormAddReluForwardInference(wide, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps);
    }

    // y stored as bf16 too: the fp32 primitive into a temporary, rounded; the backward widens y (the mask).

    public void BatchNormForwardTraining(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu)
    {
        using var wide = Tensor.Empty(this, y.Shape);
        BatchNormForwardTraining(x, gamma, beta, wide, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
        RoundInto(wide, y);
    }

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var mask = Widen(y);
        BatchNormBackward(x, dy, mask, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
    }

    // dx stored as bf16: the fp32-dx primitive into a temporary, rounded.

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var wide = Tensor.Empty(this, dx.Shape);
        BatchNormBackward(x, dy, y, gamma, saveMean, saveInvStd, wide, dgamma, dbeta, n, c, hw);
        RoundInto(wide, dx);
    }

    public void BatchNormBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Bf16Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var mask = Widen(y);
        BatchNormBackward(x, dy, mask, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
    }

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var wide = Tensor.Empty(this, dx.Shape);
        BatchNormAddReluBackward(x, dy, y, gamma, saveMean, saveInvStd, wide, dresidual, dgamma, dbeta, n, c, hw);
        RoundInto(wide, dx);
    }

    public void BatchNormAddReluForwardTraining(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps)
    {
        using var wide = Tensor.Empty(this, y.Shape);
        BatchNormAddReluForwardTraining(x, residual, gamma, beta, wide, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps);
        RoundInto(wide, y);
    }

    public void BatchNormAddReluForwardInference(Bf16Tensor x, Tensor residual, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps)
    {
        using var wide = Tensor.Empty(this, y.Shape);
        BatchNormAddReluForwardInference(x, residual, gamma, beta, wide, runningMean, runningVar, n, c, hw, eps);
        RoundInto(wide, y);
    }

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var mask = Widen(y);
        BatchNormAddReluBackward(x, dy, mask, gamma, saveMean, saveInvStd, dx, dresidual, dgamma, dbeta, n, c, hw);
    }

    public void BatchNormAddReluBackward(Bf16Tensor x, Tensor dy, Bf16Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Bf16Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var mask = Widen(y);
        BatchNormAddReluBackward(x, dy, mask, gamma, saveMean, saveInvStd, dx, dresidual, dgamma, dbeta, n, c, hw);
    }

    public void BatchNormForwardInference(Bf16Tensor x, Tensor gamma, Tensor beta, Bf16Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu)
    {
        using var wide = Tensor.Empty(this, y.Shape);
        BatchNormForwardInference(x, gamma, beta, wide, runningMean, runningVar, n, c, hw, eps, relu);
        RoundInto(wide, y);
    }

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                         Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * x.Length));
        ForwardTrainingCore(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu);
    }

    private void ForwardTrainingCore(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                     Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps, bool relu)
    {
        float[] X = Data(x), G = Data(gamma), Bt = Data(beta), Y = Data(y), SM = Data(saveMean), SI = Data(saveInvStd),
                RM = Data(runningMean), RV = Data(runningVar);
        long count = (long)n * hw;
        ParallelRows(c, checked((int)Math.Min(int.MaxValue, count)), ch =>
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(X.AsSpan(Plane(i, ch, c, hw), hw));
            double mean = count == 0 ? 0 : sum / count;
            // Two-pass variance: Σ(x−μ)² avoids the cancellation of E[x²]−μ² (SIMD per plane, double across planes).
            double sq = 0;
            float[] centred = ArrayPool<float>.Shared.Rent(Math.Max(hw, 1));
            for (int i = 0; i < n; i++)
            {
                var d = centred.AsSpan(0, hw);
                TensorPrimitives.Subtract(X.AsSpan(Plane(i, ch, c, hw), hw), (float)mean, d);
                sq += TensorPrimitives.SumOfSquares(d);
            }
            ArrayPool<float>.Shared.Return(centred);
            double variance = count == 0 ? 0 : sq / count;
            float invStd = (float)(1.0 / Math.Sqrt(variance + eps));
            SM[ch] = (float)mean;
            SI[ch] = invStd;
            // PyTorch: running ← (1−m)·running + m·stat, with the unbiased variance σ²·N/(N−1).
            double unbiased = count > 1 ? sq / (count - 1) : variance;
            RM[ch] = (float)((1 - momentum) * RM[ch] + momentum * mean);
            RV[ch] = (float)((1 - momentum) * RV[ch] + momentum * unbiased);
            float scale = G[ch] * invStd, shift = Bt[ch] - (float)mean * scale;
            AffinePlanes(X, Y, n, ch, c, hw, scale, shift, relu);
        });
    }

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                          int n, int c, int hw, float eps, bool relu)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * x.Length));
        ForwardInferenceCore(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu);
    }

    private void ForwardInferenceCore(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                      int n, int c, int hw, float eps, bool relu)
    {
        float[] X = Data(x), G = Data(gamma), Bt = Data(beta), Y = Data(y), RM = Data(runningMean), RV = Data(runningVar);
        ParallelRows(c, n * hw, ch =>
        {
            float scale = G[ch] / MathF.Sqrt(RV[ch] + eps), shift = Bt[ch] - RM[ch] * scale;
            AffinePlanes(X, Y, n, ch, c, hw, scale, shift, relu);
        });
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((y is null ? 3 : 4) * x.Length));
        BackwardCore(x, dy, y, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
    }

    private void BackwardCore(Tensor x, Tensor dy, Tensor? y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                              Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        float[] X = Data(x), DY = Data(dy), G = Data(gamma), SM = Data(saveMean), SI = Data(saveInvStd),
                DX = Data(dx), DG = Data(dgamma), DB = Data(dbeta);
        float[]? Yr = y is null ? null : Data(y);
        long count = (long)n * hw;
        ParallelRows(c, n * hw, ch =>
        {
            float mean = SM[ch], invStd = SI[ch];
            // g = dy masked by the fused ReLU; x̂ = (x−μ)·invStd.
            // dβ = Σ g, dγ = Σ g·x̂, dx = γ·invStd·(g − dβ/N − x̂·dγ/N).
            // Per plane the sums are SIMD (TensorPrimitives), accumulated across planes in double.
            // With the fused ReLU the first pass parks the masked g in dx's own plane, so the
            // second pass does not re-apply the mask: dx is then computed in place from g.
            float[] scratch = ArrayPool<float>.Shared.Rent(Math.Max(hw, 1));
            var centred = scratch.AsSpan(0, hw);
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                int o = Plane(i, ch, c, hw);
                ReadOnlySpan<float> gi = DY.AsSpan(o, hw);
                if (Yr is not null)
                {
                    ReluMask(Yr.AsSpan(o, hw), gi, DX.AsSpan(o, hw));
                    gi = DX.AsSpan(o, hw);
                }
                TensorPrimitives.Subtract(X.AsSpan(o, hw), mean, centred);
                sumG += TensorPrimitives.Sum(gi);
                sumGx += TensorPrimitives.Dot(gi, centred);
            }
            DB[ch] = (float)sumG;
            DG[ch] = (float)(sumGx * invStd);
            if (count > 0)
            {
                // dx = k·g + b·(x − μ) − k·mean(g), with k = γ·invStd and b = −k·invStd·dγ/N.
                float k = G[ch] * invStd;
                float shift = -k * (float)(sumG / count);
                float b = -k * invStd * (float)(sumGx * invStd / count);
                for (int i = 0; i < n; i++)
                {
                    int o = Plane(i, ch, c, hw);
                    var dxi = DX.AsSpan(o, hw);
                    ReadOnlySpan<float> gi = Yr is null ? DY.AsSpan(o, hw) : dxi;   // dxi holds the masked g
                    TensorPrimitives.Subtract(X.AsSpan(o, hw), mean, centred);
                    TensorPrimitives.Multiply(gi, k, dxi);
                    TensorPrimitives.MultiplyAdd(centred, b, dxi, dxi);
                    TensorPrimitives.Add(dxi, shift, dxi);
                }
            }
            ArrayPool<float>.Shared.Return(scratch);
        });
    }

    public void BatchNormAddReluForwardTraining(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvStd,
                                                Tensor runningMean, Tensor runningVar, int n, int c, int hw, float momentum, float eps)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * x.Length));
        ForwardTrainingCore(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, false);
        AddRelu(y, residual);
    }

    public void BatchNormAddReluForwardInference(Tensor x, Tensor residual, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
                                                 int n, int c, int hw, float eps)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * x.Length));
        ForwardInferenceCore(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, false);
        AddRelu(y, residual);
    }

    public void BatchNormAddReluBackward(Tensor x, Tensor dy, Tensor y, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                         Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta, int n, int c, int hw)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(5 * x.Length));
        // g = dy·[y > 0] once, into dresidual (its gradient), then batch norm's backward of g.
        ReluMask(Data(y).AsSpan(0, (int)y.Length), Data(dy).AsSpan(0, (int)dy.Length), Data(dresidual).AsSpan(0, (int)dresidual.Length));
        BackwardCore(x, dresidual, null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw);
    }

    /// <summary>y ← max(y + residual, 0), NaN propagating (TensorPrimitives.Max returns NaN for a NaN operand).</summary>
    private static void AddRelu(Tensor y, Tensor residual)
    {
        var Y = Data(y).AsSpan(0, (int)y.Length);
        TensorPrimitives.Add(Y, Data(residual).AsSpan(0, (int)residual.Length), Y);
        TensorPrimitives.Max(Y, 0f, Y);
    }

    /// <summary>Start of plane x[i, ch, :] in an [n, c, hw] tensor.</summary>
    private static int Plane(int i, int ch, int c, int hw) => checked((i * c + ch) * hw);

    /// <summary>y ← scale·x + shift over the planes of channel ch, then max(·, 0) when relu.</summary>
    private static void AffinePlanes(float[] X, float[] Y, int n, int ch, int c, int hw, float scale, float shift, bool relu)
    {
        for (int i = 0; i < n; i++)
        {
            int o = Plane(i, ch, c, hw);
            var dst = Y.AsSpan(o, hw);
            TensorPrimitives.Multiply(X.AsSpan(o, hw), scale, dst);
            TensorPrimitives.Add(dst, shift, dst);
            if (relu) TensorPrimitives.Max(dst, 0f, dst);
        }
    }
}
