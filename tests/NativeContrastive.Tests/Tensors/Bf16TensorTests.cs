using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Backends.Device;

namespace NativeContrastive.Tests.Tensors;

/// <summary>Bf16Tensor: rounding in, exact widening out, on the cpu and on a device; its storage and scope rules.</summary>
public class Bf16TensorTests
{
    [TestCase("cpu")]
    [TestCase("emu")]
    public void HoldsValuesRoundedToNearestEvenAndWidensThemExactly(string device)
    {
        float[] v = [1f, 1.00390625f, 1.01171875f, -3.14159f, float.NaN, float.PositiveInfinity, 3.4e38f, -0f];
        using var t = Bf16Tensor.FromArray(EmuDevice.ByName(device), v, 2, 4);
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 4 }));
        Assert.That(t.Storage.Type, Is.EqualTo(DType.BFloat16));
        Assert.That(t.ToBits(), Is.EqualTo(new ushort[] { 0x3f80, 0x3f80, 0x3f82, 0xc049, 0x7fff, 0x7f80, 0x7f80, 0x8000 }));
        Assert.That(t.ToArray(), Is.EqualTo(Array.ConvertAll(v, PrecisionRounding.Bf16)));
    }

    [Test]
    public void TakesTwoBytesAnElement() => Assert.That(DType.BFloat16.Size(), Is.EqualTo(2));

    [Test]
    public void AValueCountThatIsNotTheShapesIsRefusedNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => Bf16Tensor.FromBits(CpuBackend.Instance, new ushort[5], 2, 2))!;
        Assert.That(e.Message, Does.Contain("5 bf16 values for shape [2,2] (4 elements)"));
    }

    [Test]
    public void BelongsToItsScopeAndIsLoudAfterDisposal()
    {
        Bf16Tensor t;
        using (TensorScope.Begin()) t = Bf16Tensor.Empty(CpuBackend.Instance, 3);
        Assert.Throws<ObjectDisposedException>(() => t.ToBits());
    }
}

/// <summary>The cpu backend's array conversions (vectorised in steps of 16) against the scalar PrecisionRounding, special values and tails included.</summary>
public class Bf16ArraysTests
{
    [TestCase(0)]
    [TestCase(15)]
    [TestCase(37)]
    [TestCase(200_003)]   // several parallel blocks and a tail
    public void RoundAndWidenAgreeWithTheScalarFunctions(int count)
    {
        var rng = new Random(count);
        float[] special = [float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3.4e38f, -3.4e38f, 1.00390625f, 1.01171875f,
                           -0f, 0f, 1e-40f, -1e-45f, float.Epsilon, BitConverter.UInt32BitsToSingle(0x7f7f8000u), BitConverter.UInt32BitsToSingle(0x7fc00001u)];
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = i % 3 == 0 ? special[i / 3 % special.Length] : BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
        var bits = new ushort[count];
        Engine.Backends.Cpu.Bf16Arrays.Round(v, bits, count);
        Assert.That(bits, Is.EqualTo(Array.ConvertAll(v, PrecisionRounding.Bf16Bits)));
        var wide = new float[count];
        Engine.Backends.Cpu.Bf16Arrays.Widen(bits, wide, count);
        Assert.That(wide.Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(bits.Select(b => (uint)b << 16)));
    }
}
