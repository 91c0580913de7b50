using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// knn.cu against CpuBackend.Knn. Top-k must be exact (same indices, bit-identical values,
/// NaN where NaN): uniform scores, cosine-like scores crowded in [0.5, 1) (the shared-memory
/// compaction path), heavy ties with NaN, ±0 and ±inf (ties by the lower column), all-equal rows
/// (no compaction possible) and k above one launch's 2048 ranks (continuation below the last
/// written rank). Vote: the same sums in the same order, so only expf may differ: atol 1e-7 +
/// rtol 2e-6.
/// </summary>
public class KnnKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public enum Scores { Uniform, Cosine, Ties, AllEqual }

    private static float[] Make(Scores kind, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var s = new float[rows * cols];
        float[] specials = [float.NaN, -0f, 0f, float.NegativeInfinity, float.PositiveInfinity, 0.25f, -0.25f];
        for (int i = 0; i < s.Length; i++)
            s[i] = kind switch
            {
                Scores.Uniform => 2f * rng.NextSingle() - 1f,
                Scores.Cosine => 0.5f + 0.45f * rng.NextSingle() * rng.NextSingle(),
                Scores.Ties => rng.Next(4) == 0 ? specials[rng.Next(specials.Length)] : MathF.Round(4f * rng.NextSingle()) / 4f,
                _ => 0.75f,
            };
        return s;
    }

    [TestCase(1, 1, 1, Scores.Uniform)]
    [TestCase(3, 5, 0, Scores.Uniform)]
    [TestCase(9, 37, 5, Scores.Uniform)]
    [TestCase(2, 300, 300, Scores.Uniform)]
    [TestCase(3, 1000, 200, Scores.Uniform)]
    [TestCase(2, 6000, 200, Scores.Cosine)]
    [TestCase(4, 777, 33, Scores.Ties)]
    [TestCase(2, 300, 299, Scores.Ties)]
    [TestCase(2, 5000, 37, Scores.AllEqual)]
    [TestCase(1, 2500, 2300, Scores.AllEqual)]
    [TestCase(1, 2500, 2049, Scores.Ties)]
    public void TopKRowsEqualsCpu(int rows, int cols, int k, Scores kind)
    {
        var s = Make(kind, rows, cols, rows * 1000 + cols + k);
        var cv = Tensor.Empty(Cpu, rows * k);
        var ci = IntTensor.Empty(Cpu, rows * k);
        Cpu.TopKRows(Tensor.FromArray(Cpu, s, rows, cols), rows, cols, k, cv, ci);

        using var ds = Up(s);
        using var values = Zeros((long)rows * k);
        using var indices = Up(new int[rows * k]);
        new KnnKernels(Driver).TopKRows(ds, rows, cols, k, values, indices);
        Assert.That(indices.ToArray<int>(), Is.EqualTo(ci.ToArray()), "indices");
        var expected = cv.ToArray();
        var got = values.ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.That(BitConverter.SingleToInt32Bits(got[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[i])), $"value {i}: {expected[i]} vs {got[i]}");
    }

    [Test]
    public void TopKRowsRejectsKAboveCols()
    {
        using var ds = Up(new float[6]);
        using var v = Zeros(8);
        using var i = Up(new int[8]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KnnKernels(Driver).TopKRows(ds, 2, 3, 4, v, i));
    }

    [TestCase(1, 1, 1, 1)]
    [TestCase(3, 7, 5, 20)]
    [TestCase(4, 300, 130, 1000)]   // k over two tiles, classes over two groups of threads
    public void KnnVoteMatchesCpu(int rows, int k, int numClasses, int bank)
    {
        var rng = new Random(rows + k);
        var labels = Enumerable.Range(0, bank).Select(_ => rng.Next(numClasses)).ToArray();
        var idx = Enumerable.Range(0, rows * k).Select(_ => rng.Next(bank)).ToArray();
        var v = Data((long)rows * k, 8, -1f, 1f);
        const float tau = 0.1f;
        var expected = Tensor.Empty(Cpu, rows, numClasses);
        Cpu.KnnVote(Tensor.FromArray(Cpu, v, rows, k), IntTensor.FromArray(Cpu, idx), IntTensor.FromArray(Cpu, labels), rows, k, numClasses, tau, expected);

        using var dv = Up(v);
        using var di = Up(idx);
        using var dl = Up(labels);
        using var scores = Up(Enumerable.Repeat(float.NaN, rows * numClasses).ToArray());   // overwritten, not accumulated
        new KnnKernels(Driver).KnnVote(dv, di, dl, bank, rows, k, numClasses, tau, scores);
        Close.Assert(expected.ToArray(), scores.ToArray<float>(), 1e-7f, 2e-6f, "class scores");
    }

    [Test]
    public void KnnVoteRecordsBadNeighbourAndLabel()
    {
        using var dv = Up(new[] { 0.5f, 0.25f });
        using var dl = Up(new[] { 0, 7 });
        using var scores = Zeros(2);
        using var errors = IndexErrors.Allocate(Driver);
        var k = new KnnKernels(Driver);
        using (var di = Up(new[] { 0, 2 }))
            k.KnnVote(dv, di, dl, 2, 1, 2, 2, 0.1f, scores, errors);
        Assert.That(IndexErrors.TakeReport(errors), Is.EqualTo((8, 1, 2, 2)), "neighbour index 2 of a 2-sample bank");
        Close.Assert([MathF.Exp(0.5f / 0.1f), 0f], scores.ToArray<float>(), 0f, 2e-6f, "the bad entry adds nothing");
        using (var di = Up(new[] { 1, 0 }))
            k.KnnVote(dv, di, dl, 2, 1, 2, 2, 0.1f, scores, errors);
        Assert.That(IndexErrors.TakeReport(errors), Is.EqualTo((9, 1, 7, 2)), "label 7 of sample 1, 2 classes");
    }
}
