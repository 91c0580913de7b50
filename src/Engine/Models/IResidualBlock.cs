using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// A ResNet block as <see cref="ResNet"/> runs it: where only convolutions read its input (its shortcut
/// is a projection) that input may be stored in bf16, and where only convolutions read its output
/// (the next block's shortcut is a projection) it may store it so (<see cref="ConvInput"/>).
/// </summary>
internal interface IResidualBlock
{
    /// <summary>True when the shortcut is a projection (1×1 conv + BN), so convolutions alone read the block's input.</summary>
    bool HasProjection { get; }

    /// <summary>The block on x; its output stored for convolutions only (bf16 at --precision bf16) when <paramref name="outputForConv"/>.</summary>
    ConvInput Forward(ConvInput x, bool outputForConv);
}
