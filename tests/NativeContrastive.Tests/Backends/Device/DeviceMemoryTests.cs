using NativeContrastive.Engine;
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

    [Test]
    public void HostFallbackCopiesInputsInAndOutputsBackAndKeepsAliasing()
    {
        using var scope = TensorScope.Begin();
        int n = 4, c = 3, hw = 5;
        var xs = TestData.Uniform(40, n * c * hw, -2, 2);
        var cpu = CpuBackend.Instance;
        IBackend[] backends = [cpu, Dev];
        var results = backends.Select(be =>
        {
            var x = Tensor.FromArray(be, xs, n, c, hw);
            var gamma = Tensor.Full(be, 1.5f, c);
            var beta = Tensor.Full(be, -0.25f, c);
            var y = Tensor.Empty(be, n, c, hw);
            var mean = Tensor.Empty(be, c);
            var inv = Tensor.Empty(be, c);
            var runMean = Tensor.Full(be, 0.5f, c);   // read and written: must reach the host and come back
            var runVar = Tensor.Full(be, 2f, c);
            be.BatchNormForwardTraining(x, gamma, beta, y, mean, inv, runMean, runVar, n, c, hw, 0.1f, 1e-5f, relu: true);
            // In place (the same storage as input and output) through the fallback: the bank update.
            var bank = Tensor.FromArray(be, TestData.Uniform(41, 6 * c), 6, c);
            be.MomentumUpdateRows(bank, IntTensor.FromArray(be, [4, 1, 4]), Tensor.FromArray(be, TestData.Uniform(42, 3 * c), 3, c), 0.5f, c);
            var values = Tensor.Empty(be, 2, 3);
            var indices = IntTensor.Empty(be, 2, 3);
            be.TopKRows(Tensor.FromArray(be, [1, 5, 3, 5, 0, -1, 2, 9, 2, 2], 2, 5), 2, 5, 3, values, indices);
            return (Floats: new[] { y, mean, inv, runMean, runVar, bank, values }.Select(t => t.ToArray()).ToArray(), Ints: indices.ToArray());
        }).ToArray();
        string[] names = ["y", "saveMean", "saveInvStd", "runningMean", "runningVar", "bank", "topk values"];
        for (int i = 0; i < names.Length; i++) Close.Assert(results[0].Floats[i], results[1].Floats[i], 0, 0, names[i]);
        Assert.That(results[1].Ints, Is.EqualTo(results[0].Ints));
        Assert.That(results[1].Floats[3], Is.Not.EqualTo(new[] { 0.5f, 0.5f, 0.5f }), "running stats were updated");
    }
}
