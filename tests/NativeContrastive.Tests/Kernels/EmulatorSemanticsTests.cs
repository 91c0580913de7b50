using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// The emulator behaves like a GPU where kernels depend on it (barrier, warp intrinsics,
/// atomics across parallel blocks, dynamic shared memory), and exposes the bugs it exists to
/// catch: a missing __syncthreads (results depend on the fiber order), divergent barriers,
/// deadlocks and bad pointers (a launch error, not a dead test host).
/// </summary>
public class EmulatorSemanticsTests(EmuOrder order) : EmuKernelTest(order)
{
    private void Run(string kernel, Dim3 grid, Dim3 block, KernelArgs args, uint smem = 0) =>
        Driver.Launch(Emu.TestKernel(kernel), grid, block, smem, args);

    [TestCase(1, 1)]
    [TestCase(3, 96)]
    [TestCase(2, 1024)]
    public void BarrierOrdersSharedMemory(int blocks, int threads)
    {
        var x = Data(blocks * threads, 1);
        using var dx = Up(x);
        using var dy = Zeros(x.Length);
        Run("block_reverse_kernel", blocks, threads, new KernelArgs().Ptr(dx).Ptr(dy));
        var expected = x.Select((_, i) => x[i / threads * threads + threads - 1 - i % threads]).ToArray();
        Assert.That(dy.ToArray<float>(), Is.EqualTo(expected));
    }

    [Test]
    public void WarpIntrinsics()
    {
        const int blocks = 2, threads = 64, n = blocks * threads;
        var x = Enumerable.Range(0, n).Select(i => (i * 37 + 11) % 101).ToArray();
        x[40] = 17;
        using var dx = Up(x);
        using var dout = DeviceBuffer.Allocate<int>(Driver, n * 10);
        Run("warp_ops_kernel", blocks, threads, new KernelArgs().Ptr(dx).Ptr(dout));
        var o = dout.ToArray<int>();
        for (int g = 0; g < n; g++)
        {
            int lane = g % 32, w = g - lane;
            int V(int l) => x[w + l];
            uint ballot = 0;
            for (int l = 0; l < 32; l++) if ((V(l) & 1) != 0) ballot |= 1u << l;
            int[] expected =
            [
                V((7 * lane) & 31), lane >= 3 ? V(lane - 3) : V(lane), lane + 5 < 32 ? V(lane + 5) : V(lane), V(lane ^ 6),
                V((lane & ~7) + 2), (lane & 7) + 3 < 8 ? V(lane + 3) : V(lane), (int)ballot,
                Enumerable.Range(0, 32).Any(l => V(l) == 17) ? 1 : 0, 1, Enumerable.Range(0, 32).Sum(V),
            ];
            Assert.That(o.Skip(10 * g).Take(10).ToArray(), Is.EqualTo(expected), $"thread {g}");
        }
    }

    [Test]
    public void AtomicsAcrossParallelBlocks()
    {
        const int blocks = 64, threads = 128;
        using var counters = DeviceBuffer.From(Driver, new int[3]);
        using var fsum = Zeros(1);
        fsum.Fill(0);
        Run("atomics_kernel", blocks, threads, new KernelArgs().Ptr(counters).Ptr(fsum));
        var c = counters.ToArray<int>();
        Assert.That(c[0], Is.EqualTo(blocks * threads));
        Assert.That(c[1], Is.EqualTo(blocks * threads - 1));
        Assert.That(c[2], Is.InRange(1, blocks * threads), "claimed exactly once by some thread");
        Assert.That(fsum.ToArray<float>()[0], Is.EqualTo(blocks * threads * 0.5f));
    }

    [Test]
    public void DynamicSharedMemoryStartsAsNaN()
    {
        const int blocks = 2, threads = 48;
        using var dout = Zeros(2 * threads * blocks);
        Run("dynamic_smem_kernel", blocks, threads, new KernelArgs().Ptr(dout), smem: threads * 4);
        var o = dout.ToArray<float>();
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < threads; i++)
            {
                Assert.That(o[2 * threads * b + i], Is.NaN, "read before write");
                Assert.That(o[2 * threads * b + threads + i], Is.EqualTo((float)((i + 1) % threads)));
            }
    }

    [Test]
    public void DivergentBarrierIsReportedWithBothSites()
    {
        using var dout = Zeros(64);
        var e = Assert.Throws<KernelLaunchException>(() => Run("divergent_barrier_kernel", 1, 64, new KernelArgs().Ptr(dout)))!;
        Assert.That(e.Message, Does.Contain("divergent barrier").And.Contain("emu_semantics.cu:"));
    }

    [Test]
    public void DeadlockIsReported()
    {
        using var dout = Zeros(32);
        var e = Assert.Throws<KernelLaunchException>(() => Run("deadlock_kernel", 1, 32, new KernelArgs().Ptr(dout)))!;
        Assert.That(e.Message, Does.Contain("deadlock_kernel"));
        // Whichever is seen first: the mismatched barrier/shuffle or the resulting deadlock.
        Assert.That(e.Message, Does.Contain("deadlock").Or.Contain("meets"));
        using var ok = Zeros(64);   // the runtime is still usable
        Run("block_reverse_kernel", 1, 64, new KernelArgs().Ptr(ok).Ptr(ok));
    }

    [Test]
    public void BadPointerFailsTheLaunchNotTheProcess()
    {
        var e = Assert.Throws<KernelLaunchException>(() => Run("bad_pointer_kernel", 2, 32, new KernelArgs().Ptr(16UL)))!;
        Assert.That(e.Message, Does.Contain("SIGSEGV").And.Contain("bad_pointer_kernel").And.Contain("thread (3,0,0)"));
        using var ok = Zeros(64);
        Run("block_reverse_kernel", 1, 64, new KernelArgs().Ptr(ok).Ptr(ok));
    }

    [Test]
    public void StackOverflowIsReportedAndTheStackSizeIsConfigurable()
    {
        using var dout = Zeros(64);
        try
        {
            Driver.SetStackSize(16 * 1024);
            var e = Assert.Throws<KernelLaunchException>(() => Run("deep_stack_kernel", 2, 32, new KernelArgs().Ptr(dout).I32(7)))!;
            Assert.That(e.Message, Does.Contain("fiber stack overflow").And.Contain("deep_stack_kernel"));
        }
        finally { Driver.SetStackSize(64 * 1024); }
        Run("deep_stack_kernel", 2, 32, new KernelArgs().Ptr(dout).I32(7));
        float expected = Enumerable.Range(0, 10).Sum(i => (float)(i * 1000 % 7));
        Assert.That(dout.ToArray<float>(), Is.All.EqualTo(expected));
    }

    [Test]
    public void InvalidConfigurationIsRejected()
    {
        using var y = Zeros(1);
        Assert.Throws<KernelLaunchException>(() => Run("block_reverse_kernel", 1, 2048, new KernelArgs().Ptr(y).Ptr(y)));
        Assert.Throws<KernelLaunchException>(() => Run("block_reverse_kernel", 0, 32, new KernelArgs().Ptr(y).Ptr(y)));
    }
}

/// <summary>
/// A planted missing __syncthreads is caught by comparing fiber orders: the racy block reverse
/// is wrong in at least one of forward / reverse / random order (each order alone may miss it).
/// </summary>
public class MissingBarrierDetectionTests
{
    [Test]
    public void OrderComparisonExposesTheRace()
    {
        var driver = Emu.Driver;
        const int blocks = 4, threads = 256;
        var x = EmuKernelTest.Data(blocks * threads, 2);
        var expected = x.Select((_, i) => x[i / threads * threads + threads - 1 - i % threads]).ToArray();
        var wrong = new Dictionary<EmuOrder, int>();
        try
        {
            foreach (var order in Enum.GetValues<EmuOrder>())
            {
                driver.SetOrder(order, seed: 7);
                using var dx = DeviceBuffer.From(driver, x);
                using var dy = DeviceBuffer.Allocate<float>(driver, x.Length);
                dy.Fill(0);
                driver.Launch(Emu.TestKernel("block_reverse_racy_kernel"), blocks, threads, 0, new KernelArgs().Ptr(dx).Ptr(dy));
                var y = dy.ToArray<float>();
                wrong[order] = y.Where((v, i) => v != expected[i]).Count();
            }
        }
        finally { driver.SetOrder(EmuOrder.Forward); }
        TestContext.Out.WriteLine(string.Join(", ", wrong.Select(kv => $"{kv.Key}: {kv.Value} wrong")));
        Assert.That(wrong.Values.Max(), Is.GreaterThan(0), "some order must expose the missing barrier");
    }
}
