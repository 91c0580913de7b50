using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// A single linear map [N, in] → [N, out] (NPID's embedding of the features to 128-d).
/// Parameters "fc.weight" [out, in] and "fc.bias" [out], PyTorch's default initialisation.
/// </summary>
public sealed class LinearHead : Module
{
    private readonly Linear fc;

    public LinearHead(int inDim, int outDim, IBackend backend, RandomStream rng, bool bias = true) : base(backend)
    {
        InDim = inDim;
        OutDim = outDim;
        fc = AddModule("fc", new Linear(backend, inDim, outDim, rng, bias));
    }

    public int InDim { get; }
    public int OutDim { get; }

    public override Tensor Forward(Tensor x) => fc.Forward(x);

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) => fc.ExportOnnx(graph, input);
}
