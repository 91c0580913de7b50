using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// nc_mma.cuh on the emulator (tests/…/Kernels/cu/mma_fragments.cu): one warp loads row-major
/// A, B, C into the PTX-ISA fragment layouts of m16n8k8 tf32 / m16n8k16 bf16, runs one mma and
/// scatters D by the C layout. With small integers every product and sum is exact, so D must equal
/// C + A·B exactly: a lane reading a wrong fragment element changes some D. With random data D is
/// compared with C + round(A)·round(B) in double within the fp32 accumulation bound
/// (k + 1)·2⁻²³·(|C| + Σ|a·b|). The rounding helpers match <see cref="PrecisionRounding"/> bit for bit.
/// ldmatrix.x4 must hand lane l word l%4 of row l/4 of each matrix (the PTX ISA layout conv_mma.cu
/// relies on for its fragments); cp.async must zero-fill, respect its commit/wait groups and, on
/// the emulator, land only at the wait and report a copy never waited for.
/// </summary>
public class MmaFragmentTests(EmuOrder order) : EmuKernelTest(order)
{
    private KernelFunction Kernel(string name) => Driver.Module("mma_fragments").Function(name);

    private float[] RunMma(string kernel, float[] a, float[] b, float[] c)
    {
        using var da = Up(a);
        using var db = Up(b);
        using var dc = Up(c);
        using var dd = Up(Enumerable.Repeat(float.NaN, 128).ToArray());
        Driver.Launch(Kernel(kernel), 1, 32, 0, new KernelArgs().Ptr(da).Ptr(db).Ptr(dc).Ptr(dd));
        return dd.ToArray<float>();
    }

    internal static void Check(float[] a, float[] b, float[] c, float[] d, int kd, Precision p, bool exact)
    {
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 8; j++)
            {
                double s = c[i * 8 + j], mag = Math.Abs(s);
                for (int k = 0; k < kd; k++)
                {
                    double t = (double)PrecisionRounding.Round(a[i * kd + k], p) * PrecisionRounding.Round(b[k * 8 + j], p);
                    s += t;
                    mag += Math.Abs(t);
                }
                double got = d[i * 8 + j];
                if (exact) Assert.That(got, Is.EqualTo(s), $"D[{i},{j}]");
                else Assert.That(Math.Abs(got - s), Is.LessThanOrEqualTo((kd + 1) * Math.Pow(2, -23) * mag), $"D[{i},{j}]");
            }
    }

    /// <summary>Distinct small integers (exact in tf32 and bf16): any lane/register mix-up shows in D.</summary>
    internal static (float[] A, float[] B, float[] C) IntegerTile(int kd) =>
    (
        Enumerable.Range(0, 16 * kd).Select(e => (float)((e * 7 + 3) % 23 - 11)).ToArray(),
        Enumerable.Range(0, kd * 8).Select(e => (float)((e * 5 + 1) % 19 - 9)).ToArray(),
        Enumerable.Range(0, 128).Select(e => (float)(e % 16 * 100 + e / 16)).ToArray()
    );

    [TestCase("mma_tf32_fragments_kernel", 8, Precision.Tf32)]
    [TestCase("mma_bf16_fragments_kernel", 16, Precision.Bf16)]
    public void IntegerTileIsExact(string kernel, int kd, Precision p)
    {
        var (a, b, c) = IntegerTile(kd);
        Check(a, b, c, RunMma(kernel, a, b, c), kd, p, exact: true);
    }

    [TestCase("mma_tf32_fragments_kernel", 8, Precision.Tf32)]
    [TestCase("mma_bf16_fragments_kernel", 16, Precision.Bf16)]
    public void RandomTileRoundsOperands(string kernel, int kd, Precision p)
    {
        float[] a = Data(16 * kd, 11), b = Data(kd * 8, 12), c = Data(128, 13);
        Check(a, b, c, RunMma(kernel, a, b, c), kd, p, exact: false);
    }

    [Test]
    public void MmaIsWarpCollective()
    {
        using var dd = Zeros(32);
        var e = Assert.Throws<KernelLaunchException>(() => Driver.Launch(Kernel("mma_half_warp_kernel"), 1, 32, 0, new KernelArgs().Ptr(dd)))!;
        Assert.That(e.Message, Does.Contain("mma_half_warp_kernel"));
    }

    [Test]
    public void DeviceRoundingMatchesPrecisionRounding()
    {
        var r = new Random(3);
        uint[] special = [0x3f800000, 0x3f800fff, 0x3f801000, 0x3f803000, 0xbf801000, 0x3f808000, 0x3f818000, 0x7f7fffff, 0x7f7fefff,
                          0x7f7f7fff, 0x00000fff, 0x00001000, 0x00008000, 0x00018000, 0x007fffff, 0x80000000, 0x7f800000, 0xff800000,
                          0x7fc00001, 0xff801000, 0xff800001];
        var bits = special.Concat(Enumerable.Range(0, 2000).Select(_ => (uint)r.NextInt64(0, 1L << 32))).ToArray();
        float[] x = bits.Select(BitConverter.UInt32BitsToSingle).ToArray();
        using var dx = Up(x);
        using var dout = Zeros(2L * x.Length);
        Driver.Launch(Kernel("mma_round_kernel"), 4, 128, 0, new KernelArgs().Ptr(dx).Ptr(dout).I32(x.Length));
        var o = dout.ToArray<float>();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.That(BitConverter.SingleToUInt32Bits(o[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(PrecisionRounding.Tf32(x[i]))), $"tf32 0x{bits[i]:x8}");
            Assert.That(BitConverter.SingleToUInt32Bits(o[x.Length + i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(PrecisionRounding.Bf16(x[i]))), $"bf16 0x{bits[i]:x8}");
        }
    }

    /// <summary>ldmatrix_x4_kernel's expected output: lane l, register q = word l%4 of tile row 8q + l/4.</summary>
    internal static uint[] LdmatrixExpected(uint[] src, int stride) =>
        Enumerable.Range(0, 128).Select(e => src[(8 * (e % 4) + e / 16) * stride + e / 4 % 4]).ToArray();

    internal static uint[] LdmatrixSource(int stride) => Enumerable.Range(0, 32 * stride).Select(i => (uint)(i * 2654435761u)).ToArray();

    [TestCase(4)]
    [TestCase(20)]
    [TestCase(24)]
    public void LdmatrixGivesEachLaneItsFragmentWord(int stride)
    {
        var src = LdmatrixSource(stride);
        using var ds = Up(src);
        using var dout = Up(new uint[128]);
        Driver.Launch(Kernel("ldmatrix_x4_kernel"), 1, 32, 0, new KernelArgs().Ptr(ds).Ptr(dout).I32(stride));
        Assert.That(dout.ToArray<uint>(), Is.EqualTo(LdmatrixExpected(src, stride)));
    }

    [Test]
    public void LdmatrixRejectsAMisalignedRow()
    {
        using var ds = Up(LdmatrixSource(5));
        using var dout = Up(new uint[128]);
        var e = Assert.Throws<KernelLaunchException>(() => Driver.Launch(Kernel("ldmatrix_x4_kernel"), 1, 32, 0, new KernelArgs().Ptr(ds).Ptr(dout).I32(5)))!;
        Assert.That(e.Message, Does.Contain("ldmatrix row address is not 16-byte aligned"));
    }

    /// <summary>cp_async_groups_kernel's expected output for src.</summary>
    internal static float[] CpAsyncExpected(float[] src) =>
        Enumerable.Range(0, 128).Select(t => (t + 1) % 128 % 3 != 0 ? src[(t + 1) % 128] : 0f)
            .Concat(Enumerable.Range(0, 128).Select(t => src[128 + (t + 5) % 128])).ToArray();

    [Test]
    public void CpAsyncZeroFillsAndCompletesByGroup()
    {
        var src = Data(256, 21);
        using var ds = Up(src);
        using var dout = Zeros(256);
        Driver.Launch(Kernel("cp_async_groups_kernel"), 1, 128, 0, new KernelArgs().Ptr(ds).Ptr(dout));
        Assert.That(dout.ToArray<float>(), Is.EqualTo(CpAsyncExpected(src)));
    }

    [Test]
    public void CpAsyncLandsAtTheWaitOnTheEmulator()
    {
        var src = Data(32, 22);
        using var ds = Up(src);
        using var dout = Zeros(64);
        Driver.Launch(Kernel("cp_async_read_before_wait_kernel"), 1, 32, 0, new KernelArgs().Ptr(ds).Ptr(dout));
        var o = dout.ToArray<float>();
        Assert.That(o[..32], Is.All.NaN, "read before the wait sees the poison, not the old contents");
        Assert.That(o[32..], Is.EqualTo(src), "read after the wait sees the copy");
    }

    [Test]
    public void CpAsyncRefillWhileAnotherWarpReadsShowsAsNaN()
    {
        var src = Data(32, 24);
        using var ds = Up(src);
        using var dout = Zeros(32);
        Driver.SetOrder(EmuOrder.Forward);
        Driver.Launch(Kernel("cp_async_refill_while_read_kernel"), 1, 64, 0, new KernelArgs().Ptr(ds).Ptr(dout));
        var o = dout.ToArray<float>();
        Assert.That(o, Is.All.NaN.Or.EqualTo(-1f), "a read sees the old value (before the issue) or the poison, never the copy before its wait");
        Assert.That(o.Count(float.IsNaN), Is.GreaterThan(16), "warp 0 runs first in forward order: most of warp 1's reads come after its issues and see the poison");
    }

    [Test]
    public void CpAsyncNeverWaitedForIsReported()
    {
        using var ds = Up(Data(32, 23));
        var e = Assert.Throws<KernelLaunchException>(() => Driver.Launch(Kernel("cp_async_unwaited_kernel"), 1, 32, 0, new KernelArgs().Ptr(ds)))!;
        Assert.That(e.Message, Does.Contain("cp_async_unwaited_kernel").And.Contain("never waited for"));
    }
}
