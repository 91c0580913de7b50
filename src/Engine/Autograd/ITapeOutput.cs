using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

/// <summary>
/// What the <see cref="Tape"/> reads of an op's recorded output when it walks back: the fp32
/// gradient that has arrived (null: none) and whether the output is gone. A <see cref="Tensor"/>, or a
/// <see cref="Bf16Tensor"/> (an activation stored in bf16, whose gradient is fp32).
/// </summary>
internal interface ITapeOutput
{
    Tensor? Grad { get; }

    bool IsDisposed { get; }
}
