using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// CUDA graphs on a real GPU (<see cref="IGraphCapture"/> on <see cref="CudaDriver"/>): captured uploads,
/// kernels and memsets run at the launch with their recorded values, a second capture of the same shape
/// is an update (cuGraphExecUpdate) whose new scalar is the one that runs, another grid instantiates, and
/// reads inside a capture are refused. Skipped without a GPU; GraphCaptureTests checks the same on emu.
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
}
