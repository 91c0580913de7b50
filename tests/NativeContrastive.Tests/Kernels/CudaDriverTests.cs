using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The same launchers on a real GPU, compared with the emulator (and cuBLAS with the tiled
/// GEMM). Skipped with the reason when no CUDA driver or device is present.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaDriverTests
{
    private CudaDriver cuda = null!;

    [OneTimeSetUp]
    public void Open()
    {
        if (!CudaDevice.IsAvailable(out var reason)) Assert.Ignore(reason);
        cuda = new CudaDriver();
    }

    [OneTimeTearDown]
    public void Release() => cuda?.Dispose();

    [Test]
    public void FamiliesMatchTheEmulator()
    {
        float[] Scenario(IKernelDriver d)
        {
            var x = EmuKernelTest.Data(1000 * 37, 1);
            using var dx = DeviceBuffer.From(d, x);
            using var y = DeviceBuffer.Allocate<float>(d, x.Length);
            using var n = DeviceBuffer.Allocate<float>(d, 1000);
            new SoftmaxKernels(d).LogSoftmax(dx, y, 1000, 37);
            new L2NormKernels(d).Normalize(y, y, n, 1000, 37);
            new ReductionKernels(d).ColumnSums(y, n, 1000, 37);
            d.Synchronize();
            return [.. y.ToArray<float>(), .. n.ToArray<float>().Take(37)];
        }
        Close.Assert(Scenario(Emu.Driver), Scenario(cuda), 1e-5f, 1e-4f, "cuda vs emu");
    }

    [Test]
    public void RandomIsBitIdenticalAndGemmMatchesCublas()
    {
        using var u = DeviceBuffer.Allocate<float>(cuda, 4099);
        using var ue = DeviceBuffer.Allocate<float>(Emu.Driver, 4099);
        new RandomKernels(cuda).Uniform(u, 4099, 7, 9);
        new RandomKernels(Emu.Driver).Uniform(ue, 4099, 7, 9);
        Assert.That(u.ToArray<float>(), Is.EqualTo(ue.ToArray<float>()));

        int m = 300, n = 200, k = 129;
        using var a = DeviceBuffer.From(cuda, EmuKernelTest.Data(m * k, 2));
        using var b = DeviceBuffer.From(cuda, EmuKernelTest.Data(k * n, 3));
        using var c1 = DeviceBuffer.Allocate<float>(cuda, m * n);
        using var c2 = DeviceBuffer.Allocate<float>(cuda, m * n);
        new GemmKernels(cuda).Gemm(false, true, m, n, k, 1f, a, b, 0f, c1);
        if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) Assert.Ignore(why);
        using var blas = CublasHandle.Create(cuda.Stream);
        blas.SgemmRowMajor(false, true, m, n, k, 1f, a.Ptr, k, b.Ptr, k, 0f, c2.Ptr, n);
        cuda.Synchronize();
        Close.Assert(c2.ToArray<float>(), c1.ToArray<float>(), 1e-4f, 1e-4f, "tiled vs cuBLAS");
    }

    [Test]
    public void DriverOccupancyMatchesTheFormula()
    {
        var f = cuda.Module("gemm").Function("gemm_forward_tiled_kernel");
        var compiled = NvrtcCompiler.Compile(KernelSource.Load("gemm"), cuda.Arch).Kernels.Single(r => r.Kernel == f.Name);
        var ours = Occupancy.Theoretical(cuda.Arch, compiled.Registers, compiled.StaticSharedBytes, 0, 256);
        Assert.That(cuda.MaxActiveBlocksPerSm(f, 256), Is.EqualTo(ours.BlocksPerSm));
    }
}
