using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// The SimCLR-style MLP head Linear(in, hidden) → BatchNorm1d → ReLU → Linear(hidden, out),
/// named like a torch nn.Sequential of those four modules: "0" (linear), "1" (batch norm),
/// "3" (linear). The ReLU ("2" in torch, no parameters) is fused into "1", so state-dict keys
/// are "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
/// "3.weight", "3.bias" — loadable into torch's Sequential(Linear, BatchNorm1d, ReLU, Linear).
/// </summary>
public sealed class ProjectionHead : Module
{
    private readonly Linear fc1, fc2;
    private readonly BatchNorm bn;

    public ProjectionHead(int inDim, int hiddenDim, int outDim, IBackend backend, RandomStream rng) : base(backend)
    {
        InDim = inDim;
        HiddenDim = hiddenDim;
        OutDim = outDim;
        fc1 = AddModule("0", new Linear(backend, inDim, hiddenDim, rng));
        bn = AddModule("1", new BatchNorm(backend, hiddenDim, fusedRelu: true));
        fc2 = AddModule("3", new Linear(backend, hiddenDim, outDim, rng));
    }

    public int InDim { get; }
    public int HiddenDim { get; }
    public int OutDim { get; }

    public override Tensor Forward(Tensor x) => fc2.Forward(bn.Forward(fc1.Forward(x)));

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) =>
        fc2.ExportOnnx(graph, bn.ExportOnnx(graph, fc1.ExportOnnx(graph, input)));
}
