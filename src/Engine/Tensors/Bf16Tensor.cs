using NativeContrastive.Engine.Backends;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A contiguous bfloat16 tensor on a backend: each element the upper 16 bits of an fp32 value
/// (8-bit exponent, 7-bit mantissa), half the bytes of a <see cref="Tensor"/>. At
/// <c>--precision bf16</c> a convolution followed by batch norm stores its output this way
/// (<c>Ops.Conv2dBatchNorm</c>): the convolution's epilogue rounds, batch norm reads
/// it widened to fp32, and the saved activation for backward is half the size; so does a BN+ReLU
/// output that only the next convolution reads (<see cref="ConvInput"/>). Only the primitives
/// that take a Bf16Tensor read or write one. Recorded on the tape as an op's output it carries an
/// fp32 <see cref="Grad"/> (a bf16 gradient would lose what the fp32 backward kernels compute).
/// </summary>
public sealed class Bf16Tensor : PlainTensor, Autograd.ITapeOutput
{
    private Bf16Tensor(Storage storage, int[] shape) : base(storage, shape) { }

    public static Bf16Tensor Empty(IBackend backend, params int[] shape) => new(Allocate(backend, shape, DType.BFloat16), (int[])shape.Clone());

    /// <summary>A tensor holding the bf16 bit patterns <paramref name="bits"/> (see <see cref="PrecisionRounding.Bf16Bits"/>).</summary>
    public static Bf16Tensor FromBits(IBackend backend, ReadOnlySpan<ushort> bits, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(bits.Length, shape, "bf16 values");
        var t = Empty(backend, shape);
        backend.CopyFromHost(bits, t);
        return t;
    }

    /// <summary>A tensor holding <paramref name="values"/> rounded to bf16 (nearest even), rounded on the host.</summary>
    public static Bf16Tensor FromArray(IBackend backend, ReadOnlySpan<float> values, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(values.Length, shape, "values");
        var bits = new ushort[values.Length];
        for (int i = 0; i < bits.Length; i++) bits[i] = PrecisionRounding.Bf16Bits(values[i]);
        return FromBits(backend, bits, shape);
    }

    /// <summary>The bit patterns, copied to the host (waits for the backend's queued work).</summary>
    public ushort[] ToBits()
    {
        var bits = new ushort[Length];
        Backend.CopyToHost(this, bits);
        return bits;
    }

    /// <summary>The values widened to fp32 (exact: a bf16 value is an fp32 value with 16 zero low bits).</summary>
    public float[] ToArray() => Array.ConvertAll(ToBits(), PrecisionRounding.FromBf16Bits);

    /// <summary>True when the tape sends a gradient into this tensor (set when an op records it as its output).</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>The accumulated gradient, fp32, or null before the first backward contribution.</summary>
    public Tensor? Grad { get; internal set; }

    public override string ToString() => $"Bf16Tensor[{string.Join(",", Shape)}]";
}
