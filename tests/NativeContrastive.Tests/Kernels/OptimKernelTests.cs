using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// optim.cu against the PyTorch formulas in double precision, three steps so that the state
/// carries over. Tolerance atol 1e-6 + rtol 1e-5 (float arithmetic, sqrt).
/// </summary>
public class OptimKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(257)]
    [TestCase(5000)]
    public void SgdMomentumAndAdamW(int n)
    {
        var k = new OptimKernels(Driver);
        float[] w0 = Data(n, 1), g = Data(n, 2);
        using var w = Up(w0);
        using var dg = Up(g);
        using var v = Up(new float[n]);
        using var w2 = Up(w0);
        using var m2 = Up(new float[n]);
        using var v2 = Up(new float[n]);
        double[] ws = w0.Select(x => (double)x).ToArray(), vs = new double[n];
        double[] wa = w0.Select(x => (double)x).ToArray(), ma = new double[n], va = new double[n];
        const double lr = 0.1, mu = 0.9, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        for (int step = 1; step <= 3; step++)
        {
            k.SgdMomentum(w, dg, v, n, (float)lr, (float)mu, (float)wd);
            k.AdamW(w2, dg, m2, v2, n, step, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd);
            for (int i = 0; i < n; i++)
            {
                vs[i] = mu * vs[i] + g[i] + wd * ws[i];
                ws[i] -= lr * vs[i];
                ma[i] = b1 * ma[i] + (1 - b1) * g[i];
                va[i] = b2 * va[i] + (1 - b2) * g[i] * g[i];
                wa[i] = wa[i] * (1 - lr * wd) - lr * (ma[i] / (1 - Math.Pow(b1, step))) / (Math.Sqrt(va[i] / (1 - Math.Pow(b2, step))) + eps);
            }
        }
        Close.Assert(ws.Select(x => (float)x).ToArray(), w.ToArray<float>(), 1e-6f, 1e-5f, "sgd w");
        Close.Assert(vs.Select(x => (float)x).ToArray(), v.ToArray<float>(), 1e-6f, 1e-5f, "sgd momentum");
        Close.Assert(wa.Select(x => (float)x).ToArray(), w2.ToArray<float>(), 1e-6f, 1e-5f, "adamw w");
        Close.Assert(va.Select(x => (float)x).ToArray(), v2.ToArray<float>(), 1e-6f, 1e-5f, "adamw v");
    }
}
