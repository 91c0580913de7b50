using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// Batch normalisation over channels: BatchNorm2d on [N,C,H,W] and BatchNorm1d on [N,C]
/// (the same layer; the input's rank decides). Parameters "weight" (γ, init 1) and "bias"
/// (β, init 0); buffers "running_mean" (init 0) and "running_var" (init 1), as torch's
/// state_dict names them (torch's "num_batches_tracked" is not kept: momentum is fixed).
/// Training mode normalises with batch statistics and updates the running ones; eval mode
/// uses the running statistics. <c>fusedRelu</c> applies max(·, 0) in the same kernel.
/// </summary>
public sealed class BatchNorm : Module
{
    public BatchNorm(IBackend backend, int channels, bool fusedRelu = false, float momentum = 0.1f, float eps = 1e-5f) : base(backend)
    {
        if (channels < 1) throw new ArgumentException($"BatchNorm: channels must be ≥ 1, got {channels}.");
        Channels = channels;
        FusedRelu = fusedRelu;
        Momentum = momentum;
        Eps = eps;
        Weight = AddParameter("weight", channels);
        Bias = AddParameter("bias", channels);
        Init.Constant(Weight, 1f);
        Init.Constant(Bias, 0f);
        RunningMean = AddBuffer("running_mean", 0f, channels);
        RunningVar = AddBuffer("running_var", 1f, channels);
    }

    public int Channels { get; }
    public bool FusedRelu { get; }
    /// <summary>
    /// Weight of a batch's statistics in the running ones: running ← (1 − m)·running + m·batch.
    /// Settable so that a recalibration pass can take the cumulative mean (m = 1/(n + 1) at batch n).
    /// </summary>
    public float Momentum { get; set; }
    public float Eps { get; }

    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    public override Tensor Forward(Tensor x) =>
        Ops.BatchNorm(x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps, FusedRelu);

    /// <summary>relu(this(x) + residual) as one fused op (ResNet's last batch norm of a block); the layer must not have its own fused ReLU.</summary>
    public Tensor ForwardAddRelu(Tensor x, Tensor residual)
    {
        if (FusedRelu) throw new InvalidOperationException("BatchNorm.ForwardAddRelu: the layer already applies a ReLU of its own.");
        return Ops.BatchNormAddRelu(x, residual, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
    }

    /// <summary>
    /// this(conv(x)) as one op (<see cref="Ops.Conv2dBatchNorm"/>): at --precision bf16 (in training, and
    /// in eval mode without gradients) the convolution's output is stored in bf16 for this layer to read;
    /// otherwise the same as Forward(conv.Forward(x)).
    /// </summary>
    public Tensor ForwardConv(Conv2d conv, ConvInput x) =>
        Ops.Conv2dBatchNorm(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps, FusedRelu);

    /// <summary>
    /// <see cref="ForwardConv"/> for an output that only the next convolution reads
    /// (<see cref="Ops.Conv2dBatchNormForConv"/>): at --precision bf16 it is stored in bf16 too.
    /// </summary>
    public ConvInput ForwardConvForConv(Conv2d conv, ConvInput x) =>
        Ops.Conv2dBatchNormForConv(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps,
            FusedRelu);

    /// <summary><see cref="ForwardConvAddRelu"/> for an output that only convolutions read: at --precision bf16 it is stored in bf16 too.</summary>
    public ConvInput ForwardConvAddReluForConv(Conv2d conv, ConvInput x, Tensor residual)
    {
        if (FusedRelu) throw new InvalidOperationException("BatchNorm.ForwardConvAddReluForConv: the layer already applies a ReLU of its own.");
        return Ops.Conv2dBatchNormForConv(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum,
            Eps, residual: residual);
    }

    /// <summary>relu(this(conv(x)) + residual) as one op: <see cref="ForwardConv"/> with <see cref="ForwardAddRelu"/>'s residual.</summary>
    public Tensor ForwardConvAddRelu(Conv2d conv, ConvInput x, Tensor residual)
    {
        if (FusedRelu) throw new InvalidOperationException("BatchNorm.ForwardConvAddRelu: the layer already applies a ReLU of its own.");
        return Ops.Conv2dBatchNorm(x, conv.Weight, conv.Bias, conv.Stride, conv.Padding, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps,
            residual: residual);
    }

    /// <summary>Eval mode: BatchNormalization with the running statistics (training_mode 0), then Relu when fused.</summary>
    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        string y = graph.Node("BatchNormalization",
            [input, graph.Initializer(Weight), graph.Initializer(Bias), graph.Initializer(RunningMean), graph.Initializer(RunningVar)],
            graph.Rank(input), Onnx.OnnxAttribute.Of("epsilon", Eps));
        return FusedRelu ? graph.Node("Relu", [y], graph.Rank(y)) : y;
    }
}
