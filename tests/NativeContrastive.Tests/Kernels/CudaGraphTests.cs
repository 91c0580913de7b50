using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// CUDA graphs on a real GPU (<see cref="IGraphCapture"/> on <see cref="CudaDriver"/>): captured uploads,
/// kernels and memsets run at the launch with their recorded values, a second capture of the same shape
/// is an update (cuGraphExecUpdate) whose new scalar is the one that runs, another grid instantiates, and
/// reads inside a capture are refused; cuBLAS GEMMs with the handle's own workspace are captured steps
/// that update in place too. Skipped without a GPU; GraphCaptureTests checks the same on emu.
/// </summary>
public class CudaGraphTests : CudaKernelTest
{
    [TearDown]
    public void EndAnyCapture() => Cuda.AbandonCapture();

    [Test]
    public void CapturedStepsRunWithTheirOwnValuesAndShapesReuseTheGraph()
    {
        var ops = new ElementwiseKernels(Cuda);
        using var x = DeviceBuffer.Allocate<float>(Cuda, 4096);
        using var y = DeviceBuffer.Allocate<float>(Cuda, 4096);
        var before = Cuda.GraphStats;
        var host = new float[4096];
        for (int step = 1; step <= 5; step++)
        {
            long n = step == 4 ? 100 : 4096;
            Array.Fill(host, step);
            Cuda.BeginCapture();
            x.Upload<float>(host);                 // a memcpy node from a pinned staging slot
            Array.Fill(host, -1f);                 // reused at once
            ops.Affine(x, 2f, step, y, n);         // y = 2·step + step
            Cuda.Memset(x.Ptr, 0, 4 * sizeof(float));
            Assert.Throws<GraphCaptureException>(() => y.ToArray<float>());
            Cuda.EndCaptureAndLaunch();
            var got = y.ToArray<float>();
            Assert.That(got[0], Is.EqualTo(3f * step), $"step {step}");
            Assert.That(got[n - 1], Is.EqualTo(3f * step), $"step {step}");
            Assert.That(x.ToArray<float>().Take(4), Is.All.EqualTo(0f));
        }
        var after = Cuda.GraphStats;
        Assert.That(after.Launches - before.Launches, Is.EqualTo(5));
        Assert.That(after.Instantiations - before.Instantiations, Is.EqualTo(2), "4096 elements, then 100");
        Assert.That(after.Updates - before.Updates, Is.EqualTo(3));
    }

    [Test]
    public void CublasGemmsWithTheirOwnWorkspaceUpdateTheCachedGraph()
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out var why)) Assert.Ignore(why);
        int m = 96, n = 160, k = 72;
        float[] ha = EmuKernelTest.Data(m * k, 4), hb = EmuKernelTest.Data(k * n, 5);
        var product = new double[m * n];   // A·B in float64
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)ha[i * k + p] * hb[p * n + j];
                product[i * n + j] = sum;
            }
        using var blas = CublasHandle.Create(Cuda.Stream, CublasHandle.RecommendedWorkspaceBytes(Cuda.Arch));
        Assert.That(blas.WorkspaceBytes, Is.GreaterThanOrEqualTo(4L << 20));
        using var a = DeviceBuffer.From(Cuda, ha);
        using var b = DeviceBuffer.From(Cuda, hb);
        using var c = DeviceBuffer.Allocate<float>(Cuda, m * n);
        var before = Cuda.GraphStats;
        for (int step = 1; step <= 4; step++)
        {
            Cuda.BeginCapture();
            blas.SgemmRowMajor(false, false, m, n, k, step, a.Ptr, k, b.Ptr, n, 0f, c.Ptr, n);
            Cuda.EndCaptureAndLaunch();
            Close.Assert(product.Select(v => (float)(step * v)).ToArray(), c.ToArray<float>(), 1e-4f * step, 1e-4f, $"step {step}: C = {step}·A·B");
        }
        var after = Cuda.GraphStats;
        Assert.That(after.Instantiations - before.Instantiations, Is.EqualTo(1), "the same GEMM captured again is the same graph");
        Assert.That(after.Updates - before.Updates, Is.EqualTo(3), "its new alpha reaches the cached graph by cuGraphExecUpdate");
    }
}
