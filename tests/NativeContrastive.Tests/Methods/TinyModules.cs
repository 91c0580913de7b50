using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Methods;

/// <summary>Test-only module: y = flatten(x)·Wᵀ + b, weights uniform in ±1/√in from a fixed seed (or given).</summary>
public sealed class FlattenLinear : Module
{
    private readonly Tensor weight, bias;

    public FlattenLinear(IBackend backend, int inFeatures, int outFeatures, int seed, float[]? weights = null) : base(backend)
    {
        weight = AddParameter("weight", outFeatures, inFeatures);
        bias = AddParameter("bias", outFeatures);
        var w = weights ?? new float[outFeatures * inFeatures];
        if (weights is null)
        {
            var rng = new Random(seed);
            float bound = 1f / MathF.Sqrt(inFeatures);
            for (int i = 0; i < w.Length; i++) w[i] = bound * (2f * (float)rng.NextDouble() - 1f);
        }
        backend.CopyFromHost(w, weight);
    }

    public override Tensor Forward(Tensor x) => Ops.Linear(Ops.Flatten(x), weight, bias);
}

/// <summary>Helpers shared by the method tests.</summary>
public static class TinySgd
{
    /// <summary>p ← p − lr·∂L/∂p for every parameter, then zero the gradients (host arrays, no optimiser).</summary>
    public static void Step(IEnumerable<(string Name, Tensor Tensor)> parameters, float lr)
    {
        foreach (var (_, p) in parameters)
        {
            var data = p.ToArray();
            var grad = p.Grad!.ToArray();
            for (int i = 0; i < data.Length; i++) data[i] -= lr * grad[i];
            p.Backend.CopyFromHost(data, p);
            p.Backend.Fill(p.Grad!, 0f);
        }
    }

    public static float[] RandomArray(int seed, int count, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return a;
    }
}
