using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Base of the kernel tests that need a real GPU: one <see cref="CudaDriver"/> per fixture, the
/// fixture skipped with the reason (no driver, no device) when none is present. Category "Gpu",
/// not run in parallel with other GPU fixtures.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public abstract class CudaKernelTest
{
    private CudaDriver? cuda;

    protected CudaDriver Cuda => cuda ?? throw new InvalidOperationException("The CUDA driver is opened in OneTimeSetUp.");

    [OneTimeSetUp]
    public void OpenCuda()
    {
        if (!CudaDevice.IsAvailable(out var reason)) Assert.Ignore(reason);
        cuda = new CudaDriver();
    }

    [OneTimeTearDown]
    public void ReleaseCuda() => cuda?.Dispose();
}
