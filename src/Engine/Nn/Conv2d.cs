using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// 2-D convolution, square kernel, zero padding. Parameters "weight" [outC, inC, k, k] and,
/// when <c>bias</c> is true, "bias" [outC]. Initialised as torchvision's ResNet: Kaiming
/// normal (fan_out, ReLU) for the weight; the bias (if any) keeps PyTorch's default U(±1/√fan_in).
/// </summary>
public sealed class Conv2d : Module
{
    public Conv2d(IBackend backend, int inChannels, int outChannels, int kernelSize, RandomStream rng,
                  int stride = 1, int padding = 0, bool bias = true) : base(backend)
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1)
            throw new ArgumentException($"Conv2d: channels ({inChannels}→{outChannels}) and kernel size ({kernelSize}) must be ≥ 1.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Weight = AddParameter("weight", outChannels, inChannels, kernelSize, kernelSize);
        Bias = bias ? AddParameter("bias", outChannels) : null;
        Init.KaimingNormalFanOut(Weight, rng);
        if (Bias is not null) Init.Uniform(Bias, (float)(1.0 / Math.Sqrt(Init.FanIn(Weight))), rng);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    /// <summary>[outC, inC, k, k].</summary>
    public Tensor Weight { get; }

    /// <summary>[outC] or null.</summary>
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight, Bias, Stride, Padding);

    /// <summary>Conv (cross-correlation like Ops.Conv2d), square kernel, symmetric padding.</summary>
    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        string[] inputs = Bias is null ? [input, graph.Initializer(Weight)] : [input, graph.Initializer(Weight), graph.Initializer(Bias)];
        return graph.Node("Conv", inputs, 4,
            Onnx.OnnxAttribute.Of("kernel_shape", KernelSize, KernelSize), Onnx.OnnxAttribute.Of("strides", Stride, Stride),
            Onnx.OnnxAttribute.Of("pads", Padding, Padding, Padding, Padding), Onnx.OnnxAttribute.Of("dilations", 1L, 1L),
            Onnx.OnnxAttribute.Of("group", 1L));
    }
}
