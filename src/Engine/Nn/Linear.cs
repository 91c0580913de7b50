using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b on [batch, in]. Parameters "weight" [out, in] and
/// (optional) "bias" [out], initialised as PyTorch's default: both U(−1/√in, 1/√in).
/// </summary>
public sealed class Linear : Module
{
    public Linear(IBackend backend, int inFeatures, int outFeatures, RandomStream rng, bool bias = true) : base(backend)
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentException($"Linear: features ({inFeatures}→{outFeatures}) must be ≥ 1.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter("weight", outFeatures, inFeatures);
        Bias = bias ? AddParameter("bias", outFeatures) : null;
        Init.TorchDefault(Weight, Bias, rng);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);

    /// <summary>Gemm(x, W, b) with transB = 1 (W is [out, in]).</summary>
    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        string[] inputs = Bias is null ? [input, graph.Initializer(Weight)] : [input, graph.Initializer(Weight), graph.Initializer(Bias)];
        return graph.Node("Gemm", inputs, 2, Onnx.OnnxAttribute.Of("transB", 1L));
    }
}
