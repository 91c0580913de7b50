using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Support;

/// <summary>
/// Finite-difference gradient check on the cpu backend. The op under test maps inputs to
/// an output y; the scalar L = Σ w ⊙ y with fixed random weights w makes every output
/// element matter. Analytic ∂L/∂x from the tape is compared with the central difference
/// (L(x+h) − L(x−h)) / 2h, accumulated in double, with |a − n| ≤ atol + rtol·|n|.
/// </summary>
public static class GradCheck
{
    public static IBackend Cpu => CpuBackend.Instance;

    /// <summary>A tensor of uniform values in [lo, hi) from a fixed-seed generator.</summary>
    public static Tensor Random(int seed, float lo, float hi, params int[] shape)
    {
        var rng = new Random(seed);
        var data = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return Tensor.FromArray(Cpu, data, shape);
    }

    /// <summary>
    /// Checks the gradient of <paramref name="f"/> with respect to every input in
    /// <paramref name="inputs"/> that should receive one.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double atol = 2e-3, double rtol = 2e-2, int seed = 7)
    {
        using var scope = TensorScope.Begin();
        foreach (var x in inputs) { x.RequiresGrad = true; x.Grad = null; }

        // Analytic gradients.
        var y = f(inputs);
        var w = Random(seed, -1f, 1f, y.Shape);
        var wArr = w.ToArray();
        var loss = Ops.Sum(Ops.Mul(y, w));
        Tape.Backward(loss);
        var analytic = inputs.Select(x => x.Grad?.ToArray() ?? new float[x.Length]).ToArray();

        double Objective()
        {
            using var _ = Tape.NoGrad();
            using var inner = TensorScope.Begin();
            var yy = f(inputs).ToArray();
            double s = 0;
            for (int i = 0; i < yy.Length; i++) s += (double)yy[i] * wArr[i];
            return s;
        }

        for (int t = 0; t < inputs.Length; t++)
        {
            var x = inputs[t];
            var data = x.ToArray();
            var failures = new List<string>();
            for (int i = 0; i < data.Length; i++)
            {
                float saved = data[i];
                data[i] = (float)(saved + h); x.Backend.CopyFromHost(data, x);
                double plus = Objective();
                data[i] = (float)(saved - h); x.Backend.CopyFromHost(data, x);
                double minus = Objective();
                data[i] = saved; x.Backend.CopyFromHost(data, x);
                double numeric = (plus - minus) / (2 * h);
                double a = analytic[t][i];
                if (!(Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric)))
                    failures.Add($"input {t} element {i}: analytic {a:G6}, numeric {numeric:G6}");
            }
            Assert.That(failures, Is.Empty, () => $"gradient mismatch ({failures.Count} of {data.Length}):\n" + string.Join("\n", failures.Take(10)));
        }
    }
}
