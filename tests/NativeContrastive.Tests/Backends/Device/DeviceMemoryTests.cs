using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>The device backend's memory: bucketed pool, storage ownership, and the temporary host fallback's copies.</summary>
public class DeviceMemoryTests
{
    private static DeviceBackend Dev => EmuDevice.Backend;

    [TestCase(0, 256)]
    [TestCase(1, 256)]
    [TestCase(256, 256)]
    [TestCase(257, 320)]
    [TestCase(600, 640)]
    [TestCase(1000, 1024)]
    [TestCase(1024, 1024)]
    [TestCase(1025, 1280)]
    [TestCase(3 << 20, 3 << 20)]
    public void BucketsRoundUpByAtMostAQuarter(long bytes, long bucket) => Assert.That(DeviceMemoryPool.BucketBytes(bytes), Is.EqualTo(bucket));

    [Test]
    public void FreedStorageIsReusedWithoutAskingTheDriver()
    {
        using var pool = new DeviceMemoryPool(Emu.Driver);
        var a = pool.Rent(4000);
        var b = pool.Rent(4000);
        pool.Return(a);
        var c = pool.Rent(3900);   // same bucket (4096)
        Assert.That(c, Is.SameAs(a));
        Assert.That(pool.DriverAllocations, Is.EqualTo(2));
        Assert.That(pool.Rent(0).Bytes, Is.Zero, "empty buffers need no allocation");
        pool.Return(b);
        pool.Return(c);
        Assert.That(pool.BytesPooled, Is.EqualTo(2 * 4096));
        pool.Trim();
        Assert.That(pool.BytesHeld, Is.Zero);
    }

    [Test]
    public void ThePeakIsTheMostBytesAliveAtOnce()
    {
        using var pool = new DeviceMemoryPool(Emu.Driver);
        var a = pool.Rent(4000);   // bucket 4096
        var b = pool.Rent(1000);   // bucket 1024
        Assert.That(pool.PeakBytesInUse, Is.EqualTo(5120));
        pool.Return(a);
        pool.Return(b);
        Assert.That(pool.BytesInUse, Is.Zero);
        var c = pool.Rent(3900);   // from the pool: no new driver memory, but alive again
        Assert.That(pool.BytesInUse, Is.EqualTo(4096));
        Assert.That(pool.PeakBytesInUse, Is.EqualTo(5120), "the peak stays until reset");
        pool.ResetPeak();
        Assert.That(pool.PeakBytesInUse, Is.EqualTo(4096), "a reset starts from what is alive now");
        var d = pool.Rent(100);
        Assert.That(pool.PeakBytesInUse, Is.EqualTo(4096 + 256));
        pool.Return(c);
        pool.Return(d);
    }

    [Test]
    public void TensorsOfTheBackendLiveInItsPool()
    {
        long before = Dev.Pool.DriverAllocations;
        for (int i = 0; i < 5; i++)
        {
            using var scope = TensorScope.Begin();
            var t = Tensor.Zeros(Dev, 17, 33);
            var v = t.View(33, 17);   // a view shares the storage: one release at the end
            Assert.That(t.Storage, Is.InstanceOf<DeviceStorage>());
            Assert.That(v.ToArray(), Is.All.Zero);
        }
        Assert.That(Dev.Pool.DriverAllocations - before, Is.LessThanOrEqualTo(1), "later iterations reuse the first's buffer");
        using var cpu = Tensor.Zeros(CpuBackend.Instance, 3);
        using var dev = Tensor.Zeros(Dev, 3);
        Assert.Throws<ArgumentException>(() => Dev.Add(cpu, dev, dev), "a cpu tensor is refused by the device backend");
        Assert.Throws<ArgumentException>(() => Dev.CopyToHost(dev, new float[2]), "destination too short");
    }
}
