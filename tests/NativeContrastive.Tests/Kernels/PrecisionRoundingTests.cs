using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// PrecisionRounding bit for bit: TF32 rounds to nearest with ties away from zero (cvt.rna), bf16
/// to nearest even; ±∞ stays, finite values past the largest representable value become ±∞,
/// denormals are rounded (not flushed), NaN becomes the canonical NaN of each format.
/// </summary>
public class PrecisionRoundingTests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    private static float F(uint u) => BitConverter.UInt32BitsToSingle(u);

    [TestCase(0x3f800000u, 0x3f800000u, TestName = "Tf32(one: exact)")]
    [TestCase(0x3f800fffu, 0x3f800000u, TestName = "Tf32(below half an ulp: down)")]
    [TestCase(0x3f801000u, 0x3f802000u, TestName = "Tf32(tie, even kept bit: away, not to even)")]
    [TestCase(0x3f803000u, 0x3f804000u, TestName = "Tf32(tie, odd kept bit: away)")]
    [TestCase(0xbf801000u, 0xbf802000u, TestName = "Tf32(negative tie: away from zero)")]
    [TestCase(0x3f801001u, 0x3f802000u, TestName = "Tf32(above half: up)")]
    [TestCase(0x3fffffffu, 0x40000000u, TestName = "Tf32(carry into the exponent)")]
    [TestCase(0x7f7fffffu, 0x7f800000u, TestName = "Tf32(FLT_MAX: overflows to inf)")]
    [TestCase(0x7f7fefffu, 0x7f7fe000u, TestName = "Tf32(largest TF32 stays finite)")]
    [TestCase(0xff7fffffu, 0xff800000u, TestName = "Tf32(-FLT_MAX: -inf)")]
    [TestCase(0x00000fffu, 0x00000000u, TestName = "Tf32(small denormal: zero)")]
    [TestCase(0x00001000u, 0x00002000u, TestName = "Tf32(denormal tie: away)")]
    [TestCase(0x007fffffu, 0x00800000u, TestName = "Tf32(largest denormal: smallest normal)")]
    [TestCase(0x80000000u, 0x80000000u, TestName = "Tf32(negative zero)")]
    [TestCase(0x7f800000u, 0x7f800000u, TestName = "Tf32(inf)")]
    [TestCase(0xff800000u, 0xff800000u, TestName = "Tf32(-inf)")]
    [TestCase(0x7fc00001u, 0x7fffffffu, TestName = "Tf32(quiet NaN: canonical)")]
    [TestCase(0xff801000u, 0x7fffffffu, TestName = "Tf32(signalling negative NaN: canonical)")]
    public void Tf32(uint input, uint expected) =>
        Assert.That(Bits(PrecisionRounding.Tf32(F(input))), Is.EqualTo(expected), $"0x{input:x8}");

    [TestCase(0x3f800000u, 0x3f800000u, TestName = "Bf16(one: exact)")]
    [TestCase(0x3f807fffu, 0x3f800000u, TestName = "Bf16(below half: down)")]
    [TestCase(0x3f808000u, 0x3f800000u, TestName = "Bf16(tie, even kept bit: stays even)")]
    [TestCase(0x3f818000u, 0x3f820000u, TestName = "Bf16(tie, odd kept bit: up to even)")]
    [TestCase(0xbf818000u, 0xbf820000u, TestName = "Bf16(negative tie to even)")]
    [TestCase(0x3f808001u, 0x3f810000u, TestName = "Bf16(above half: up)")]
    [TestCase(0x3fffffffu, 0x40000000u, TestName = "Bf16(carry into the exponent)")]
    [TestCase(0x7f7fffffu, 0x7f800000u, TestName = "Bf16(FLT_MAX: overflows to inf)")]
    [TestCase(0x7f7f7fffu, 0x7f7f0000u, TestName = "Bf16(largest bf16 stays finite)")]
    [TestCase(0x00008000u, 0x00000000u, TestName = "Bf16(denormal tie to even zero)")]
    [TestCase(0x00018000u, 0x00020000u, TestName = "Bf16(denormal tie up to even)")]
    [TestCase(0x007fffffu, 0x00800000u, TestName = "Bf16(largest denormal: smallest normal)")]
    [TestCase(0x80000000u, 0x80000000u, TestName = "Bf16(negative zero)")]
    [TestCase(0x7f800000u, 0x7f800000u, TestName = "Bf16(inf)")]
    [TestCase(0xff800000u, 0xff800000u, TestName = "Bf16(-inf)")]
    [TestCase(0x7fc00001u, 0x7fff0000u, TestName = "Bf16(quiet NaN: canonical)")]
    [TestCase(0xff800001u, 0x7fff0000u, TestName = "Bf16(NaN whose rounding would carry: canonical)")]
    public void Bf16(uint input, uint expected) =>
        Assert.That(Bits(PrecisionRounding.Bf16(F(input))), Is.EqualTo(expected), $"0x{input:x8}");

    [Test]
    public void RoundingIsNearestWithinHalfAnUlp()
    {
        var r = new Random(5);
        for (int i = 0; i < 100000; i++)
        {
            float x = BitConverter.UInt32BitsToSingle((uint)r.NextInt64(0, 0x7f000000L)) * (r.Next(2) == 0 ? 1 : -1);
            float t = PrecisionRounding.Tf32(x), b = PrecisionRounding.Bf16(x);
            Assert.That(Bits(t) & 0x1fffu, Is.Zero);
            Assert.That(Bits(b) & 0xffffu, Is.Zero);
            Assert.That(Math.Abs((double)t - x), Is.LessThanOrEqualTo(Math.Abs((double)x) * Math.Pow(2, -11) + 1e-40), $"tf32 {x:R}");
            Assert.That(Math.Abs((double)b - x), Is.LessThanOrEqualTo(Math.Abs((double)x) * Math.Pow(2, -8) + 1e-40), $"bf16 {x:R}");
        }
        Assert.That(PrecisionRounding.Round(1.1f, Precision.Fp32), Is.EqualTo(1.1f));
    }
}
