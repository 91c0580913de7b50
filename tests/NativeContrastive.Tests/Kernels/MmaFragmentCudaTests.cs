using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The mma_fragments.cu test kernels on a real sm_80+ GPU, the same checks as
/// <see cref="MmaFragmentTests"/> on emu: this is what ties the emulator's mma stand-ins and the
/// fragment layouts written in nc_mma.cuh to the hardware, and the same for ldmatrix.x4 and cp.async. The rounding kernel must match
/// <see cref="PrecisionRounding"/> bit for bit except that a NaN only has to stay a NaN (the
/// hardware's NaN payload is not part of the contract).
/// </summary>
public class MmaFragmentCudaTests : CudaKernelTest
{
    private sealed class TestModule(CudaModule module) : KernelModule("mma_fragments")
    {
        protected override nint Resolve(string name) => module.GetFunction(name);

        public override void Dispose() => module.Dispose();
    }

    private TestModule? module;

    [OneTimeSetUp]
    public void LoadModule()
    {
        if (Cuda.Arch.Major < 8) Assert.Ignore($"compute capability {Cuda.Arch.Major}.{Cuda.Arch.Minor} has no tf32/bf16 mma");
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Kernels", "cu", "mma_fragments.cu");
        var compiled = NvrtcCompiler.CompileUncached(KernelSource.FromText("mma_fragments.cu", File.ReadAllText(path)), Cuda.Arch);
        Cuda.MakeCurrent();
        module = new TestModule(CudaModule.Load(compiled.Cubin));
    }

    [OneTimeTearDown]
    public void UnloadModule() => module?.Dispose();

    private float[] RunMma(string kernel, float[] a, float[] b, float[] c)
    {
        using var da = DeviceBuffer.From(Cuda, a);
        using var db = DeviceBuffer.From(Cuda, b);
        using var dc = DeviceBuffer.From(Cuda, c);
        using var dd = DeviceBuffer.From(Cuda, Enumerable.Repeat(float.NaN, 128).ToArray());
        Cuda.Launch(module!.Function(kernel), 1, 32, 0, new KernelArgs().Ptr(da).Ptr(db).Ptr(dc).Ptr(dd));
        Cuda.Synchronize();
        return dd.ToArray<float>();
    }

    [TestCase("mma_tf32_fragments_kernel", 8, Precision.Tf32)]
    [TestCase("mma_bf16_fragments_kernel", 16, Precision.Bf16)]
    public void IntegerTileIsExact(string kernel, int kd, Precision p)
    {
        var (a, b, c) = MmaFragmentTests.IntegerTile(kd);
        MmaFragmentTests.Check(a, b, c, RunMma(kernel, a, b, c), kd, p, exact: true);
    }

    [TestCase("mma_tf32_fragments_kernel", 8, Precision.Tf32)]
    [TestCase("mma_bf16_fragments_kernel", 16, Precision.Bf16)]
    public void RandomTileRoundsOperands(string kernel, int kd, Precision p)
    {
        float[] a = EmuKernelTest.Data(16 * kd, 11), b = EmuKernelTest.Data(kd * 8, 12), c = EmuKernelTest.Data(128, 13);
        MmaFragmentTests.Check(a, b, c, RunMma(kernel, a, b, c), kd, p, exact: false);
    }

    [Test]
    public void DeviceRoundingMatchesPrecisionRounding()
    {
        var r = new Random(3);
        var bits = Enumerable.Range(0, 20000).Select(_ => (uint)r.NextInt64(0, 1L << 32))
            .Concat([0x3f801000u, 0xbf801000u, 0x3f808000u, 0x3f818000u, 0x7f7fffffu, 0x00001000u, 0x00018000u, 0x7f800000u, 0xff800000u]).ToArray();
        float[] x = bits.Select(BitConverter.UInt32BitsToSingle).ToArray();
        using var dx = DeviceBuffer.From(Cuda, x);
        using var dout = DeviceBuffer.Allocate<float>(Cuda, 2L * x.Length);
        Cuda.Launch(module!.Function("mma_round_kernel"), 64, 128, 0, new KernelArgs().Ptr(dx).Ptr(dout).I32(x.Length));
        Cuda.Synchronize();
        var o = dout.ToArray<float>();
        for (int i = 0; i < x.Length; i++)
        {
            float t = PrecisionRounding.Tf32(x[i]), b = PrecisionRounding.Bf16(x[i]);
            if (float.IsNaN(x[i]))
            {
                Assert.That(float.IsNaN(o[i]) && float.IsNaN(o[x.Length + i]), $"NaN 0x{bits[i]:x8} stays NaN");
                continue;
            }
            Assert.That(BitConverter.SingleToUInt32Bits(o[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(t)), $"tf32 0x{bits[i]:x8}");
            Assert.That(BitConverter.SingleToUInt32Bits(o[x.Length + i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(b)), $"bf16 0x{bits[i]:x8}");
        }
    }

    [TestCase(4)]
    [TestCase(20)]
    [TestCase(24)]
    public void LdmatrixGivesEachLaneItsFragmentWord(int stride)
    {
        var src = MmaFragmentTests.LdmatrixSource(stride);
        using var ds = DeviceBuffer.From(Cuda, src);
        using var dout = DeviceBuffer.From(Cuda, new uint[128]);
        Cuda.Launch(module!.Function("ldmatrix_x4_kernel"), 1, 32, 0, new KernelArgs().Ptr(ds).Ptr(dout).I32(stride));
        Cuda.Synchronize();
        Assert.That(dout.ToArray<uint>(), Is.EqualTo(MmaFragmentTests.LdmatrixExpected(src, stride)));
    }

    [Test]
    public void CpAsyncZeroFillsAndCompletesByGroup()
    {
        var src = EmuKernelTest.Data(256, 21);
        using var ds = DeviceBuffer.From(Cuda, src);
        using var dout = DeviceBuffer.Allocate<float>(Cuda, 256);
        Cuda.Launch(module!.Function("cp_async_groups_kernel"), 1, 128, 0, new KernelArgs().Ptr(ds).Ptr(dout));
        Cuda.Synchronize();
        Assert.That(dout.ToArray<float>(), Is.EqualTo(MmaFragmentTests.CpAsyncExpected(src)));
    }
}
