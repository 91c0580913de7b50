using NativeContrastive.Kernels.Launch;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// index.cu (exact gather; scatter-add with repeated indices: atol 1e-5, additions in any
/// order) and random.cu against the C# Philox4x32 / RandomStream (bit-exact except the
/// normals, whose double log/cos/sin may round differently on a GPU: rtol 1e-6 there).
/// </summary>
public class IndexAndRandomKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    [TestCase(0, 3, 5)]
    [TestCase(1, 1, 1)]
    [TestCase(7, 33, 4)]
    [TestCase(300, 17, 50)]
    public void GatherAndScatterAddRows(int count, int cols, int tableRows)
    {
        var k = new IndexKernels(Driver);
        var table = Data((long)tableRows * cols, 21);
        var idx = Enumerable.Range(0, count).Select(i => (i * 13 + 5) % tableRows).ToArray();   // repeats when count > rows
        using var dt = Up(table);
        using var di = Up(idx);
        using var gathered = Zeros((long)count * cols);
        k.GatherRows(dt, di, gathered, count, cols);
        var gRef = idx.SelectMany(r => table.Skip(r * cols).Take(cols)).ToArray();
        Close.Assert(gRef, gathered.ToArray<float>(), 0, 0, "gather");

        var src = Data((long)count * cols, 22);
        using var ds = Up(src);
        using var acc = Up(table);
        k.ScatterAddRows(ds, di, acc, count, cols);
        var sRef = table.Select(v => (double)v).ToArray();
        for (int i = 0; i < count; i++)
            for (int c = 0; c < cols; c++) sRef[idx[i] * cols + c] += src[i * cols + c];
        Close.Assert(sRef.Select(v => (float)v).ToArray(), acc.ToArray<float>(), 1e-5f, 1e-6f, "scatter-add");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(1000)]
    public void PhiloxMatchesCSharp(int blocks)
    {
        var k = new RandomKernels(Driver);
        ulong seed = 0x0123456789abcdefUL, stream = 0xfedcba9876543210UL, first = 0xffff_fff0UL;   // counter crosses 2^32
        using var output = DeviceBuffer.Allocate<uint>(Driver, blocks * 4L);
        k.Philox(output, blocks, seed, stream, first);
        var expected = new uint[blocks * 4];
        for (int b = 0; b < blocks; b++)
        {
            ulong c = first + (ulong)b;
            var (x0, x1, x2, x3) = Philox4x32.Block((uint)c, (uint)(c >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));
            expected[4 * b] = x0; expected[4 * b + 1] = x1; expected[4 * b + 2] = x2; expected[4 * b + 3] = x3;
        }
        Assert.That(output.ToArray<uint>(), Is.EqualTo(expected));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(6)]
    [TestCase(1027)]
    public void UniformNormalAndIntegersMatchRandomStream(int n)
    {
        var k = new RandomKernels(Driver);
        ulong seed = 42, stream = StreamId.Of(StreamId.NegativeSampling, 3, 9);
        using var u = Zeros(n);
        using var g = Zeros(n);
        using var ints = DeviceBuffer.Allocate<int>(Driver, n);
        k.Uniform(u, n, seed, stream, -3f, 5f);
        k.Normal(g, n, seed, stream, 1f, 2f);
        k.Integers(ints, n, seed, stream, 1000);
        var r1 = new RandomStream(seed, stream);
        Assert.That(u.ToArray<float>(), Is.EqualTo(Enumerable.Range(0, n).Select(_ => r1.NextFloat(-3f, 5f)).ToArray()), "uniform");
        var r2 = new RandomStream(seed, stream);
        Close.Assert(Enumerable.Range(0, n).Select(_ => 1f + 2f * r2.NextGaussian()).ToArray(), g.ToArray<float>(), 1e-6f, 1e-6f, "normal");
        var r3 = new RandomStream(seed, stream);
        Assert.That(ints.ToArray<int>(), Is.EqualTo(Enumerable.Range(0, n).Select(_ => r3.NextInt(1000)).ToArray()), "integers");
    }
}
