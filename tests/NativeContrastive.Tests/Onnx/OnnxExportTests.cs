using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Onnx;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using Tensor = NativeContrastive.Engine.Tensors.Tensor;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Onnx;

/// <summary>
/// The exported ONNX model run by ONNX Runtime (cpu) against the engine's eval forward on the same batch:
/// max |Δ| ≤ 1e-4 for every architecture and stem `--arch` offers (ResNet-34, whose blocks are ResNet-18's,
/// is run once, batch 1), with a projection head (batch norm over [N, C]). Batch-norm statistics, γ and β are
/// drawn away from their initial 0/1/1/0 so the running statistics really are used.
/// </summary>
public class OnnxExportTests
{
    private static readonly IBackend Cpu = CpuBackend.Instance;

    [TestCase("small", "cifar", 1, 28, 3)]
    [TestCase("resnet18", "cifar", 3, 32, 2)]
    [TestCase("resnet18", "imagenet", 3, 64, 2)]
    [TestCase("resnet34", "cifar", 3, 32, 1)]
    [TestCase("resnet50", "cifar", 3, 32, 2)]
    [TestCase("resnet50", "imagenet", 3, 64, 2)]
    public void OnnxRuntimeMatchesTheEngine(string arch, string stem, int channels, int size, int batch)
    {
        var rng = new RandomStream(7, 1);
        using var encoder = ModelFactory.CreateEncoder(arch, channels, Cpu, rng, stem);
        using var head = ModelFactory.CreateProjectionHead(encoder.FeatureDim, 64, 32, Cpu, rng);
        Perturb(encoder, rng);
        Perturb(head, rng);
        var x = Enumerable.Range(0, batch * channels * size * size).Select(_ => rng.NextGaussian()).ToArray();

        var (features, projected) = EngineForward(encoder, head, x, batch, channels, size);
        var bytes = OnnxExporter.Serialize(encoder, head, channels, size);
        var (ortFeatures, ortHead) = OrtForward(bytes, x, batch, channels, size);

        double df = MaxAbsDiff(features, ortFeatures), dh = MaxAbsDiff(projected, ortHead);
        TestContext.Progress.WriteLine($"ONNX export {arch}/{stem} {channels}×{size}×{size} batch {batch}: features [{batch}, {encoder.FeatureDim}] max |Δ| = {df:E2}, head [{batch}, 32] max |Δ| = {dh:E2} ({bytes.Length / 1e6:0.0} MB)");
        Assert.That(ortFeatures, Has.Length.EqualTo(features.Length));
        Assert.That(ortHead, Has.Length.EqualTo(projected.Length));
        Assert.That(df, Is.LessThanOrEqualTo(1e-4));
        Assert.That(dh, Is.LessThanOrEqualTo(1e-4));
        Assert.That(features.Max(Math.Abs), Is.GreaterThan(1e-3f), "a model of zeros would match trivially");
    }

    [Test]
    public void AnExportWithoutHeadHasOneOutputAndADynamicBatch()
    {
        var rng = new RandomStream(3, 1);
        using var encoder = ModelFactory.CreateEncoder("small", 3, Cpu, rng);
        Perturb(encoder, rng);
        using var session = new InferenceSession(OnnxExporter.Serialize(encoder, null, 3, 16));
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "features" }));
        Assert.That(session.InputMetadata["input"].Dimensions, Is.EqualTo(new[] { -1, 3, 16, 16 }));
        Assert.That(session.ModelMetadata.Version, Is.Not.Null);
        foreach (int batch in new[] { 1, 5 })
        {
            var x = Enumerable.Range(0, batch * 3 * 16 * 16).Select(_ => rng.NextGaussian()).ToArray();
            var (f, _) = EngineForward(encoder, null, x, batch, 3, 16);
            var (o, _) = OrtForward(OnnxExporter.Serialize(encoder, null, 3, 16), x, batch, 3, 16);
            Assert.That(MaxAbsDiff(f, o), Is.LessThanOrEqualTo(1e-4), $"batch {batch}");
        }
    }

    [Test]
    public void ALayerWithoutAnOnnxFormIsNamed()
    {
        using var m = new Unexportable(Cpu);
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Serialize(m, null, 1, 8));
        Assert.That(e!.Message, Does.Contain("Unexportable"));
    }

    private sealed class Unexportable(IBackend backend) : Module(backend)
    {
        public override Tensor Forward(Tensor x) => x;
    }

    /// <summary>Draws batch-norm γ, β, running mean and variance (and leaves convolutions and linears as initialised).</summary>
    internal static void Perturb(Module m, RandomStream rng)
    {
        foreach (var (name, t) in m.StateDict())
        {
            if (t.Rank != 1) continue;
            var v = new float[t.Length];
            for (int i = 0; i < v.Length; i++)
                v[i] = name.EndsWith("running_var", StringComparison.Ordinal) ? rng.NextFloat(0.5f, 2f)
                    : name.EndsWith("running_mean", StringComparison.Ordinal) ? rng.NextFloat(-0.3f, 0.3f)
                    : name.EndsWith("weight", StringComparison.Ordinal) ? rng.NextFloat(0.7f, 1.3f)
                    : rng.NextFloat(-0.2f, 0.2f);
            t.Backend.CopyFromHost(v, t);
        }
    }

    internal static (float[] Features, float[] Head) EngineForward(Module encoder, Module? head, float[] x, int batch, int channels, int size)
    {
        encoder.Eval();
        head?.Eval();
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var h = encoder.Forward(Tensor.FromArray(Cpu, x, batch, channels, size, size));
        return (h.ToArray(), head is null ? [] : head.Forward(h).ToArray());
    }

    internal static (float[] Features, float[] Head) OrtForward(byte[] model, float[] x, int batch, int channels, int size)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<float>(x, [batch, channels, size, size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        float[] Get(string name) => results.FirstOrDefault(r => r.Name == name)?.AsEnumerable<float>().ToArray() ?? [];
        return (Get("features"), Get("head"));
    }

    internal static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.That(b, Has.Length.EqualTo(a.Length));
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }
}
