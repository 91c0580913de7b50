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
public class CudaDriverTests : CudaKernelTest
{

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
        Close.Assert(Scenario(Emu.Driver), Scenario(Cuda), 1e-5f, 1e-4f, "cuda vs emu");
    }

    [Test]
    public void RandomIsBitIdenticalAndGemmMatchesCublas()
    {
        using var u = DeviceBuffer.Allocate<float>(Cuda, 4099);
        using var ue = DeviceBuffer.Allocate<float>(Emu.Driver, 4099);
        new RandomKernels(Cuda).Uniform(u, 4099, 7, 9);
        new RandomKernels(Emu.Driver).Uniform(ue, 4099, 7, 9);
        Assert.That(u.ToArray<float>(), Is.EqualTo(ue.ToArray<float>()));

        int m = 300, n = 200, k = 129;
        using var a = DeviceBuffer.From(Cuda, EmuKernelTest.Data(m * k, 2));
        using var b = DeviceBuffer.From(Cuda, EmuKernelTest.Data(k * n, 3));
        using var c1 = DeviceBuffer.Allocate<float>(Cuda, m * n);
        using var c2 = DeviceBuffer.Allocate<float>(Cuda, m * n);
        new GemmKernels(Cuda).Gemm(false, true, m, n, k, 1f, a, b, 0f, c1);
        if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) Assert.Ignore(why);
        using var blas = CublasHandle.Create(Cuda.Stream);
        blas.SgemmRowMajor(false, true, m, n, k, 1f, a.Ptr, k, b.Ptr, k, 0f, c2.Ptr, n);
        Cuda.Synchronize();
        Close.Assert(c2.ToArray<float>(), c1.ToArray<float>(), 1e-4f, 1e-4f, "tiled vs cuBLAS");
    }

    [Test]
    public void DriverOccupancyMatchesTheFormula()
    {
        var f = Cuda.Module("gemm").Function("gemm_forward_tiled_kernel");
        var compiled = NvrtcCompiler.Compile(KernelSource.Load("gemm"), Cuda.Arch).Kernels.Single(r => r.Kernel == f.Name);
        var ours = Occupancy.Theoretical(Cuda.Arch, compiled.Registers, compiled.StaticSharedBytes, 0, 256);
        Assert.That(Cuda.MaxActiveBlocksPerSm(f, 256), Is.EqualTo(ours.BlocksPerSm));
    }
}
