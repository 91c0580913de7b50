using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Stream capture on the emulated device (<see cref="IGraphCapture"/>), with the rules a CUDA capture
/// has: recorded work runs only at the launch, in order, with the arguments and uploaded bytes of the
/// moment it was recorded; reads to the host and waits are refused; frees wait for the graph; a second
/// graph of the same topology updates the cached one and a different grid instantiates another.
/// </summary>
public class GraphCaptureTests
{
    private static EmuDriver Driver => Emu.Driver;

    [TearDown]
    public void EndAnyCapture() => Driver.AbandonCapture();

    [Test]
    public void RecordedWorkRunsOnlyAtTheLaunchInOrderWithItsOwnValues()
    {
        var ops = new ElementwiseKernels(Driver);
        using var x = DeviceBuffer.Allocate(Driver, 64 * sizeof(float));
        using var y = DeviceBuffer.Allocate(Driver, 64 * sizeof(float));
        x.Upload<float>(Enumerable.Repeat(1f, 64).ToArray());
        y.Upload<float>(new float[64]);

        var host = Enumerable.Repeat(5f, 64).ToArray();
        Driver.BeginCapture();
        x.Upload<float>(host);                     // recorded: the bytes as they are now
        host.AsSpan().Fill(-1f);                   // the caller may reuse its array at once
        ops.Affine(x, 2f, 1f, y, 64);              // y = 2x + 1 = 11
        ops.Fill(x, 0f, 64);                       // after the affine: x = 0
        Assert.That(Driver.IsCapturing);
        Driver.EndCaptureAndLaunch();

        Assert.That(Download(y), Is.All.EqualTo(11f));
        Assert.That(Download(x), Is.All.EqualTo(0f));
    }

    [Test]
    public void ReadsAndWaitsInsideACaptureAreRefusedAndFreesWaitForTheGraph()
    {
        var ops = new ElementwiseKernels(Driver);
        using var x = DeviceBuffer.Allocate(Driver, 16 * sizeof(float));
        var scratch = DeviceBuffer.Allocate(Driver, 16 * sizeof(float));
        Driver.BeginCapture();
        ops.Fill(scratch, 3f, 16);
        ops.Copy(scratch, x, 16);
        scratch.Dispose();                         // deferred: the recorded copy still reads it
        var e = Assert.Throws<GraphCaptureException>(() => Download(x));
        Assert.That(e!.Message, Does.Contain("copy to the host").And.Contain("graph capture"));
        Assert.Throws<GraphCaptureException>(() => Driver.Synchronize());
        Assert.Throws<GraphCaptureException>(() => Driver.BeginCapture(), "one capture at a time");
        Driver.EndCaptureAndLaunch();
        Assert.That(Download(x), Is.All.EqualTo(3f));
    }

    [Test]
    public void AnAbandonedCaptureRunsNothing()
    {
        var ops = new ElementwiseKernels(Driver);
        using var x = DeviceBuffer.Allocate(Driver, 16 * sizeof(float));
        x.Upload<float>(Enumerable.Repeat(2f, 16).ToArray());
        Driver.BeginCapture();
        ops.Fill(x, 9f, 16);
        Driver.AbandonCapture();
        Assert.That(Driver.IsCapturing, Is.False);
        Assert.That(Download(x), Is.All.EqualTo(2f));
    }

    [Test]
    public void TheSameTopologyUpdatesTheCachedGraphAndAnotherGridInstantiatesOne()
    {
        var ops = new ElementwiseKernels(Driver);
        using var x = DeviceBuffer.Allocate(Driver, 4096 * sizeof(float));
        var before = Driver.GraphStats;
        void Step(float value, long n)
        {
            Driver.BeginCapture();
            ops.Fill(x, value, n);
            ops.Scale(x, 2f, x, n);
            Driver.EndCaptureAndLaunch();
        }
        Step(1f, 4096);
        Step(2f, 4096);                            // same kernels and grids, new scalar: an update
        Assert.That(Download(x)[4095], Is.EqualTo(4f), "the update's value ran, not the first capture's");
        Step(3f, 16);                              // a smaller grid: another graph
        Step(4f, 4096);                            // the first graph is still cached
        var after = Driver.GraphStats;
        Assert.That(after.Launches - before.Launches, Is.EqualTo(4));
        Assert.That(after.Instantiations - before.Instantiations, Is.EqualTo(2));
        Assert.That(after.Updates - before.Updates, Is.EqualTo(2));
        Assert.That(after.LastNodes, Is.EqualTo(2));
        Assert.That(Download(x)[0], Is.EqualTo(8f));
    }

    [Test]
    public void TopologyKeysDependOnKernelsGridsAndSizesNotOnArguments()
    {
        var f = Driver.Module("elementwise").Function("fill_forward_kernel");
        var g = Driver.Module("elementwise").Function("scale_forward_kernel");
        ulong Key(Action<GraphTopology> build) { var t = new GraphTopology(); build(t); return t.Key; }
        var grid = new Dim3(4, 1, 1);
        var block = new Dim3(256, 1, 1);
        ulong a = Key(t => { t.Kernel(f, grid, block, 0); t.Transfer(GraphNodeKind.CopyToDevice, 100); });
        Assert.That(Key(t => { t.Kernel(f, grid, block, 0); t.Transfer(GraphNodeKind.CopyToDevice, 100); }), Is.EqualTo(a));
        Assert.That(Key(t => { t.Kernel(g, grid, block, 0); t.Transfer(GraphNodeKind.CopyToDevice, 100); }), Is.Not.EqualTo(a), "another kernel");
        Assert.That(Key(t => { t.Kernel(f, new Dim3(5, 1, 1), block, 0); t.Transfer(GraphNodeKind.CopyToDevice, 100); }), Is.Not.EqualTo(a), "another grid");
        Assert.That(Key(t => { t.Kernel(f, grid, block, 0); t.Transfer(GraphNodeKind.CopyToDevice, 101); }), Is.Not.EqualTo(a), "another copy size");
        Assert.That(Key(t => { t.Transfer(GraphNodeKind.CopyToDevice, 100); t.Kernel(f, grid, block, 0); }), Is.Not.EqualTo(a), "another order");
    }

    private static float[] Download(DeviceBuffer b)
    {
        var a = new float[b.Bytes / sizeof(float)];
        b.Download<float>(a);
        return a;
    }
}
