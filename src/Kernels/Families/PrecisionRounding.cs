namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Operand rounding of <see cref="Precision.Tf32"/> and <see cref="Precision.Bf16"/>, bit for bit as
/// the device rounds (kernels-cu/nc_mma.cuh: cvt.rna.tf32.f32 and the bf16 packing, and their
/// emulator stand-ins). The result is an fp32 value whose dropped mantissa bits are 0.
/// </summary>
public static class PrecisionRounding
{
    /// <summary>Canonical NaN that both roundings return for any NaN input.</summary>
    private const uint Tf32NaN = 0x7fffffffu, Bf16NaN = 0x7fff0000u;

    /// <summary>
    /// x rounded to TF32: 10 mantissa bits, round to nearest with ties away from zero (the low 13 bits
    /// cleared). ±∞ stays; finite values past the largest TF32 become ±∞; denormals are rounded, not
    /// flushed; NaN becomes 0x7fffffff.
    /// </summary>
    public static float Tf32(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7fffffffu) > 0x7f800000u) return BitConverter.UInt32BitsToSingle(Tf32NaN);
        if ((u & 0x7f800000u) == 0x7f800000u) return x;
        return BitConverter.UInt32BitsToSingle((u + 0x1000u) & 0xffffe000u);
    }

    /// <summary>
    /// x rounded to bfloat16: 7 mantissa bits, round to nearest even (the low 16 bits cleared). ±∞
    /// stays; finite values past the largest bf16 become ±∞; NaN becomes 0x7fff0000 (bf16 0x7fff).
    /// </summary>
    public static float Bf16(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7fffffffu) > 0x7f800000u) return BitConverter.UInt32BitsToSingle(Bf16NaN);
        return BitConverter.UInt32BitsToSingle(((u + 0x7fffu + ((u >> 16) & 1u)) >> 16) << 16);
    }

    /// <summary>The 16-bit pattern of <see cref="Bf16"/>(x): what a bf16 tensor stores (nc_bf16_bits16 in kernels-cu/nc_mma.cuh).</summary>
    public static ushort Bf16Bits(float x) => (ushort)(BitConverter.SingleToUInt32Bits(Bf16(x)) >> 16);

    /// <summary>The fp32 value of a bf16 bit pattern (exact: the pattern becomes the upper 16 bits).</summary>
    public static float FromBf16Bits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>x rounded to the operand precision p (unchanged at <see cref="Precision.Fp32"/>).</summary>
    public static float Round(float x, Precision p) => p switch
    {
        Precision.Tf32 => Tf32(x),
        Precision.Bf16 => Bf16(x),
        _ => x,
    };

    /// <summary>A copy of <paramref name="values"/> rounded to <paramref name="p"/>.</summary>
    public static float[] Round(ReadOnlySpan<float> values, Precision p)
    {
        var r = new float[values.Length];
        for (int i = 0; i < values.Length; i++) r[i] = Round(values[i], p);
        return r;
    }
}
