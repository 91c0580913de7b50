using System.Numerics;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Fused optimiser updates: one pass over each parameter with Vector&lt;float&gt; SIMD (scalar
/// tail), split across cores for large tensors. The formulas are on <see cref="IBackend"/>.
/// </summary>
public sealed partial class CpuBackend
{
    public void SgdUpdate(Tensor param, Tensor grad, Tensor? momentumBuffer, float lr, float momentum, float weightDecay, bool nesterov)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((momentumBuffer is null ? 3 : 5) * param.Length));
        float[] P = Data(param), G = Data(grad);
        float[]? B = momentumBuffer is null ? null : Data(momentumBuffer);
        Chunked(param.Length, (s, n) =>
        {
            if (B is null) Sgd(P.AsSpan(s, n), G.AsSpan(s, n), lr, weightDecay);
            else SgdMomentum(P.AsSpan(s, n), G.AsSpan(s, n), B.AsSpan(s, n), lr, momentum, weightDecay, nesterov);
        });
    }

    public void CountNonFiniteMulti(MultiTensorSet set, IntTensor counts, int slot)
    {
        var c = Data(counts);
        if ((uint)slot >= (uint)c.Length) throw new ArgumentOutOfRangeException(nameof(slot), $"CountNonFiniteMulti: slot {slot} of {c.Length} counts.");
        long total = 0;
        foreach (var p in set.Parameters)
        {
            using var profile = CpuProfile.Time(LaunchCost.Elements(p.Length));
            var values = Data(p).AsSpan(0, checked((int)p.Length));
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i])) total++;
        }
        c[slot] += (int)Math.Min(total, int.MaxValue - (long)Math.Max(c[slot], 0));
    }

    /// <summary>The reference of the multi-tensor update: <see cref="SgdUpdate"/> per parameter, in order.</summary>
    public void SgdMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, bool nesterov)
    {
        for (int i = 0; i < set.Parameters.Count; i++)
        {
            var p = set.Parameters[i];
            SgdUpdate(p, p.Grad ?? throw new InvalidOperationException($"SgdMultiUpdate: parameter {i} has no gradient."),
                set.State1?[i], lr, momentum, weightDecay, nesterov);
        }
    }

    /// <summary>The reference of the multi-tensor update: <see cref="AdamUpdate"/> per parameter, in order.</summary>
    public void AdamMultiUpdate(MultiTensorSet set, float lr, float beta1, float beta2, float eps, float weightDecay,
                                bool decoupledWeightDecay, long step)
    {
        for (int i = 0; i < set.Parameters.Count; i++)
        {
            var p = set.Parameters[i];
            AdamUpdate(p, p.Grad ?? throw new InvalidOperationException($"AdamMultiUpdate: parameter {i} has no gradient."),
                set.State1?[i] ?? throw new ArgumentException("AdamMultiUpdate: the set has no first moment."),
                set.State2?[i] ?? throw new ArgumentException("AdamMultiUpdate: the set has no second moment."),
                lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step);
        }
    }

    /// <summary>The reference of the multi-tensor update: <see cref="LarsUpdate"/> per parameter, in order.</summary>
    public void LarsMultiUpdate(MultiTensorSet set, float lr, float momentum, float weightDecay, float trustCoefficient, bool nesterov)
    {
        for (int i = 0; i < set.Parameters.Count; i++)
        {
            var p = set.Parameters[i];
            bool adapt = set.Adapt?[i] ?? false;
            LarsUpdate(p, p.Grad ?? throw new InvalidOperationException($"LarsMultiUpdate: parameter {i} has no gradient."),
                set.State1?[i] ?? throw new ArgumentException("LarsMultiUpdate: the set has no velocity."),
                lr, momentum, adapt ? weightDecay : 0f, trustCoefficient, adapt, nesterov);
        }
    }

    public void EmaUpdate(Tensor average, Tensor source, float decay)
    {
        if (average.Length != source.Length) throw new ArgumentException($"EmaUpdate: the average has {average.Length} elements, the source {source.Length}.");
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * average.Length));
        float[] A = Data(average), X = Data(source);
        Chunked(average.Length, (s, n) => Ema(A.AsSpan(s, n), X.AsSpan(s, n), decay));
    }

    public void EmaMultiUpdate(MultiTensorSet set, float decay)
    {
        for (int i = 0; i < set.Parameters.Count; i++)
            EmaUpdate(set.Parameters[i], set.State1?[i] ?? throw new ArgumentException($"EmaMultiUpdate: average {i} has no source (State1)."), decay);
    }

    /// <summary>a ← d·a + (1 − d)·x.</summary>
    internal static void Ema(Span<float> a, ReadOnlySpan<float> x, float decay)
    {
        int i = 0, w = Vector<float>.Count;
        float take = 1f - decay;
        var vkeep = new Vector<float>(decay);
        var vtake = new Vector<float>(take);
        for (; i <= a.Length - w; i += w)
            (vkeep * new Vector<float>(a[i..]) + vtake * new Vector<float>(x[i..])).CopyTo(a[i..]);
        for (; i < a.Length; i++) a[i] = decay * a[i] + take * x[i];
    }

    /// <summary>p ← p − lr·(g + wd·p).</summary>
    internal static void Sgd(Span<float> p, ReadOnlySpan<float> g, float lr, float wd)
    {
        int i = 0, w = Vector<float>.Count;
        var vlr = new Vector<float>(lr);
        var vwd = new Vector<float>(wd);
        for (; i <= p.Length - w; i += w)
        {
            var pv = new Vector<float>(p[i..]);
            var d = new Vector<float>(g[i..]) + vwd * pv;
            (pv - vlr * d).CopyTo(p[i..]);
        }
        for (; i < p.Length; i++) p[i] -= lr * (g[i] + wd * p[i]);
    }

    /// <summary>d = g + wd·p; buf ← μ·buf + d; p ← p − lr·(nesterov ? d + μ·buf : buf).</summary>
    internal static void SgdMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, float lr, float mu, float wd, bool nesterov)
    {
        int i = 0, w = Vector<float>.Count;
        var vlr = new Vector<float>(lr);
        var vwd = new Vector<float>(wd);
        var vmu = new Vector<float>(mu);
        for (; i <= p.Length - w; i += w)
        {
            var pv = new Vector<float>(p[i..]);
            var d = new Vector<float>(g[i..]) + vwd * pv;
            var b = vmu * new Vector<float>(buf[i..]) + d;
            b.CopyTo(buf[i..]);
            var step = nesterov ? d + vmu * b : b;
            (pv - vlr * step).CopyTo(p[i..]);
        }
        for (; i < p.Length; i++)
        {
            float d = g[i] + wd * p[i];
            float b = mu * buf[i] + d;
            buf[i] = b;
            p[i] -= lr * (nesterov ? d + mu * b : b);
        }
    }

    public void LarsUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                           float trustCoefficient, bool adapt, bool nesterov)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((adapt ? 7 : 5) * param.Length));
        float[] P = Data(param), G = Data(grad), V = Data(velocity);
        float ratio = 1f;
        if (adapt)
        {
            var (wNorm, dNorm) = LarsNorms(P, G, weightDecay);
            if (wNorm > 0 && dNorm > 0) ratio = (float)(trustCoefficient * wNorm / dNorm);
        }
        float scaledLr = lr * ratio;
        // With λ = lr·r, the update is SgdMomentum's with the rate folded into the velocity:
        // v ← μ·v + λ·d; p ← p − (nesterov ? μ·v + λ·d : v).
        Chunked(param.Length, (s, n) => LarsStep(P.AsSpan(s, n), G.AsSpan(s, n), V.AsSpan(s, n), scaledLr, momentum, weightDecay, nesterov));
    }

    /// <summary>(‖p‖₂, ‖g + wd·p‖₂), accumulated in double over SIMD blocks.</summary>
    internal static (double WeightNorm, double UpdateNorm) LarsNorms(ReadOnlySpan<float> p, ReadOnlySpan<float> g, float wd)
    {
        double ww = 0, dd = 0;
        int w = Vector<float>.Count;
        var vwd = new Vector<float>(wd);
        for (int s = 0; s < p.Length; s += 4096)
        {
            int end = Math.Min(p.Length, s + 4096), i = s;
            Vector<float> aw = Vector<float>.Zero, ad = Vector<float>.Zero;
            for (; i <= end - w; i += w)
            {
                var pv = new Vector<float>(p[i..]);
                var d = new Vector<float>(g[i..]) + vwd * pv;
                aw += pv * pv;
                ad += d * d;
            }
            double bw = Vector.Sum(aw), bd = Vector.Sum(ad);
            for (; i < end; i++)
            {
                float d = g[i] + wd * p[i];
                bw += (double)p[i] * p[i];
                bd += (double)d * d;
            }
            ww += bw;
            dd += bd;
        }
        return (Math.Sqrt(ww), Math.Sqrt(dd));
    }

    internal static void LarsStep(Span<float> p, ReadOnlySpan<float> g, Span<float> v, float scaledLr, float mu, float wd, bool nesterov)
    {
        int i = 0, w = Vector<float>.Count;
        var vlr = new Vector<float>(scaledLr);
        var vwd = new Vector<float>(wd);
        var vmu = new Vector<float>(mu);
        for (; i <= p.Length - w; i += w)
        {
            var pv = new Vector<float>(p[i..]);
            var step = vlr * (new Vector<float>(g[i..]) + vwd * pv);
            var nv = vmu * new Vector<float>(v[i..]) + step;
            nv.CopyTo(v[i..]);
            (pv - (nesterov ? vmu * nv + step : nv)).CopyTo(p[i..]);
        }
        for (; i < p.Length; i++)
        {
            float step = scaledLr * (g[i] + wd * p[i]);
            float nv = mu * v[i] + step;
            v[i] = nv;
            p[i] -= nesterov ? mu * nv + step : nv;
        }
    }

    public void AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2,
                           float eps, float weightDecay, bool decoupledWeightDecay, long step)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(7 * param.Length));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamUpdate: step is 1-based, got {step}.");
        float[] P = Data(param), G = Data(grad), M = Data(expAvg), V = Data(expAvgSq);
        float bc1 = 1f - MathF.Pow(beta1, step);
        float sqrtBc2 = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        Chunked(param.Length, (s, n) => Adam(P.AsSpan(s, n), G.AsSpan(s, n), M.AsSpan(s, n), V.AsSpan(s, n),
                                            lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, bc1, sqrtBc2));
    }

    internal static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float lr, float b1, float b2,
                              float eps, float wd, bool decoupled, float bc1, float sqrtBc2)
    {
        float l2 = decoupled ? 0f : wd;
        float shrink = decoupled ? 1f - lr * wd : 1f;
        float stepSize = lr / bc1;
        float invSqrtBc2 = 1f / sqrtBc2;
        int i = 0, w = Vector<float>.Count;
        Vector<float> vl2 = new(l2), vshrink = new(shrink), vb1 = new(b1), vb2 = new(b2), va1 = new(1f - b1), va2 = new(1f - b2),
                      vstep = new(stepSize), vinv = new(invSqrtBc2), veps = new(eps);
        for (; i <= p.Length - w; i += w)
        {
            var pv = new Vector<float>(p[i..]);
            var gv = new Vector<float>(g[i..]) + vl2 * pv;
            pv *= vshrink;
            var mv = vb1 * new Vector<float>(m[i..]) + va1 * gv;
            var sv = vb2 * new Vector<float>(v[i..]) + va2 * gv * gv;
            mv.CopyTo(m[i..]);
            sv.CopyTo(v[i..]);
            (pv - vstep * mv / (Vector.SquareRoot(sv) * vinv + veps)).CopyTo(p[i..]);
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] + l2 * p[i];
            float pi = p[i] * shrink;
            float mi = b1 * m[i] + (1f - b1) * gi;
            float vi = b2 * v[i] + (1f - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
        }
    }
}
