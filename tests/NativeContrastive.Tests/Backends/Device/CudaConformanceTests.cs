using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Kernels.Interop;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// <see cref="BackendConformance"/> on a real GPU (Devices.Create("cuda")), once with our GEMM
/// kernel and once with cuBLAS. Skipped with the reason when no CUDA driver or device is present.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
[TestFixture(DeviceGemmEngine.Ours)]
[TestFixture(DeviceGemmEngine.Cublas)]
public class CudaConformanceTests(DeviceGemmEngine engine) : BackendConformance
{
    private DeviceBackend? cuda;
    private DeviceGemmEngine previous;

    protected override IBackend Device => cuda!;

    [OneTimeSetUp]
    public void Open()
    {
        if (!CudaDevice.IsAvailable(out var reason)) Assert.Ignore(reason);
        cuda = (DeviceBackend)Devices.Create("cuda");
        previous = cuda.GemmEngine;
        if (engine == DeviceGemmEngine.Cublas && !NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) Assert.Ignore(why);
        cuda.GemmEngine = engine;
    }

    [OneTimeTearDown]
    public void Restore()
    {
        if (cuda is not null) cuda.GemmEngine = previous;
    }
}
