using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// An activation that only convolutions read, stored either as fp32 (a <see cref="Tensor"/>) or as bf16
/// (a <see cref="Bf16Tensor"/>). At <c>--precision bf16</c> the tensor-core kernels round a
/// convolution's input to bf16 anyway, so an activation read by nothing else — the BN+ReLU output inside
/// a ResNet block or between the small encoder's convolutions — loses nothing by being stored in bf16,
/// and is written, read, saved for backward and read again as the ReLU mask at half the bytes
/// (<see cref="Ops.Conv2dBatchNormForConv"/> makes one, <see cref="Ops.Conv2dBatchNorm"/> and
/// <see cref="Ops.Conv2d"/> read one). Its gradient is fp32 either way. A Tensor converts implicitly.
/// </summary>
public readonly struct ConvInput
{
    private ConvInput(Tensor? fp32, Bf16Tensor? bf16)
    {
        Fp32 = fp32;
        Bf16 = bf16;
    }

    /// <summary>The activation when stored as fp32, else null.</summary>
    public Tensor? Fp32 { get; }

    /// <summary>The activation when stored as bf16, else null.</summary>
    public Bf16Tensor? Bf16 { get; }

    public static implicit operator ConvInput(Tensor x) => new(x ?? throw new ArgumentNullException(nameof(x)), null);

    public static ConvInput FromBf16(Bf16Tensor x) => new(null, x ?? throw new ArgumentNullException(nameof(x)));

    public int[] Shape => Fp32?.Shape ?? Bf16?.Shape ?? throw Unset();

    public IBackend Backend => Fp32?.Backend ?? Bf16?.Backend ?? throw Unset();

    /// <summary>True when the tape must send a gradient into this activation.</summary>
    public bool RequiresGrad => Fp32?.RequiresGrad ?? Bf16?.RequiresGrad ?? throw Unset();

    /// <summary>Adds a freshly made fp32 gradient contribution (<see cref="Tape.AccumulateOwned(Tensor, Tensor)"/>).</summary>
    public void AccumulateOwnedGrad(Tensor contribution)
    {
        if (Fp32 is not null) Tape.AccumulateOwned(Fp32, contribution);
        else Tape.AccumulateOwned(Bf16 ?? throw Unset(), contribution);
    }

    public override string ToString() => Fp32?.ToString() ?? Bf16?.ToString() ?? "ConvInput(unset)";

    private static InvalidOperationException Unset() => new("A default ConvInput holds no tensor.");
}
