using NativeContrastive.Engine.Memory;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Memory;

public class MemoryBankTests
{
    private static double[] RowNorms(Tensor t)
    {
        var a = t.ToArray();
        int n = t.Dim(0), d = t.Dim(1);
        return Enumerable.Range(0, n).Select(r => Math.Sqrt(Enumerable.Range(0, d).Sum(c => (double)a[r * d + c] * a[r * d + c]))).ToArray();
    }

    [Test]
    public void RandomInitGivesUnitRowsAndDependsOnSeed()
    {
        using var a = new MemoryBank(GradCheck.Cpu, 50, 16);
        using var b = new MemoryBank(GradCheck.Cpu, 50, 16);
        using var c = new MemoryBank(GradCheck.Cpu, 50, 16);
        a.InitializeRandom(7); b.InitializeRandom(7); c.InitializeRandom(8);
        Assert.That(RowNorms(a.Storage), Has.All.EqualTo(1.0).Within(1e-5));
        Assert.That(a.Storage.ToArray(), Is.EqualTo(b.Storage.ToArray()));
        Assert.That(a.Storage.ToArray(), Is.Not.EqualTo(c.Storage.ToArray()));
        // Entries are spread in both signs (uniform in ±stdv before normalising), not e.g. all equal.
        var v = a.Storage.ToArray();
        Assert.That(v.Count(x => x > 0), Is.InRange(300, 500));
        Assert.That(a.Storage.RequiresGrad, Is.False);
    }

    [Test]
    public void MomentumUpdateByHandOnTwoRows()
    {
        using var bank = new MemoryBank(GradCheck.Cpu, 2, 2);
        GradCheck.Cpu.CopyFromHost([1f, 0f, 0f, 1f], bank.Storage);
        using var scope = TensorScope.Begin();
        // Row 1 = [0,1] moves towards f = [1,0]: 0.5·[0,1] + 0.5·[1,0] = [0.5,0.5] → [1/√2, 1/√2].
        bank.MomentumUpdate(IntTensor.FromArray(GradCheck.Cpu, [1]), Tensor.FromArray(GradCheck.Cpu, [1f, 0f], 1, 2), 0.5f);
        float h = 1f / MathF.Sqrt(2f);
        Assert.That(bank.Storage.ToArray(), Is.EqualTo(new[] { 1f, 0f, h, h }).Within(1e-6));
        // Momentum 0.75, f = [0,−1] on row 0: 0.75·[1,0] + 0.25·[0,−1] = [0.75,−0.25] → /√0.625.
        bank.MomentumUpdate(IntTensor.FromArray(GradCheck.Cpu, [0]), Tensor.FromArray(GradCheck.Cpu, [0f, -1f], 1, 2), 0.75f);
        float n = MathF.Sqrt(0.625f);
        Assert.That(bank.Storage.ToArray(), Is.EqualTo(new[] { 0.75f / n, -0.25f / n, h, h }).Within(1e-6));
        Assert.That(RowNorms(bank.Storage), Has.All.EqualTo(1.0).Within(1e-6));
    }

    [Test]
    public void GatherReturnsRowsWithoutGradient()
    {
        using var bank = new MemoryBank(GradCheck.Cpu, 4, 3);
        bank.InitializeRandom(1);
        using var scope = TensorScope.Begin();
        var g = bank.Gather(IntTensor.FromArray(GradCheck.Cpu, [3, 0, 3]));
        var all = bank.Storage.ToArray();
        Assert.That(g.ToArray(), Is.EqualTo(all[9..12].Concat(all[0..3]).Concat(all[9..12]).ToArray()));
        Assert.That(g.RequiresGrad, Is.False);
    }

    [Test]
    public void MomentumUpdateRejectsBadShapes()
    {
        using var bank = new MemoryBank(GradCheck.Cpu, 4, 3);
        using var scope = TensorScope.Begin();
        Assert.Throws<ArgumentException>(() => bank.MomentumUpdate(IntTensor.FromArray(GradCheck.Cpu, [0]), Tensor.Zeros(GradCheck.Cpu, 1, 2), 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => bank.MomentumUpdate(IntTensor.FromArray(GradCheck.Cpu, [0]), Tensor.Zeros(GradCheck.Cpu, 1, 3), 1.5f));
    }
}
