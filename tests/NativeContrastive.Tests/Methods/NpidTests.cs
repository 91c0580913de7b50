using NativeContrastive.Engine.Methods.Npid;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Methods;

public class NpidTests
{
    private const int N = 8, C = 1, S = 4, Hidden = 8, D = 4;

    private static NpidMethod Make(NpidOptions options, ulong seed = 5)
        => new(new FlattenLinear(GradCheck.Cpu, C * S * S, Hidden, 1), new FlattenLinear(GradCheck.Cpu, Hidden, D, 2),
               N, D, options, GradCheck.Cpu, seed);

    /// <summary>A fixed batch of the given samples: image i is a fixed random pattern.</summary>
    private static TrainingBatch Batch(params int[] indices)
    {
        using var _ = TensorScope.Suspend();
        var all = TinySgd.RandomArray(99, N * C * S * S);
        var x = indices.SelectMany(i => all.AsSpan(i * C * S * S, C * S * S).ToArray()).ToArray();
        return new TrainingBatch([Tensor.FromArray(GradCheck.Cpu, x, indices.Length, C, S, S)], indices, new int[indices.Length]);
    }

    private static double[] RowNorms(Tensor t)
    {
        var a = t.ToArray();
        int rows = t.Dim(0), d = t.Dim(1);
        return Enumerable.Range(0, rows).Select(r => Math.Sqrt(Enumerable.Range(0, d).Sum(c => (double)a[r * d + c] * a[r * d + c]))).ToArray();
    }

    /// <summary>
    /// Z = N · mean over the B·(m+1) logits of exp(v_jᵀv/τ), the positive column included (lemniscate),
    /// from the method's current bank and weights and the negatives of <paramref name="step"/>, in double.
    /// </summary>
    private static double MonteCarloZ(NpidMethod method, TrainingBatch batch, long step, int m, float tau)
    {
        var bank = method.Bank.Storage.ToArray();
        var table = method.CandidateIndices(step, batch.Indices);
        float[] v;
        using (var s = TensorScope.Begin())
        using (Tape.NoGrad()) v = method.Embed(batch.Views[0]).ToArray();
        double sum = 0;
        for (int b = 0; b < batch.Size; b++)
            for (int j = 0; j <= m; j++)
            {
                int row = table[b * (m + 1) + j];
                double dot = 0;
                for (int c = 0; c < D; c++) dot += bank[row * D + c] * v[b * D + c];
                sum += Math.Exp(dot / tau);
            }
        return N * sum / (batch.Size * (m + 1));
    }

    /// <summary>One SGD step: loss, backward, p −= lr·grad, bank update. Returns the loss.</summary>
    private static float Step(NpidMethod method, TrainingBatch batch, float lr)
    {
        using var scope = TensorScope.Begin();
        var loss = method.Loss(batch);
        float value = loss.Item();
        Tape.Backward(loss);
        TinySgd.Step(method.NamedParameters(), lr);
        method.AfterOptimizerStep(batch);
        return value;
    }

    [Test]
    public void BankRowsStayUnitVectorsAndOnlyBatchRowsChange()
    {
        using var method = Make(new NpidOptions { Negatives = 6 });
        Assert.That(RowNorms(method.Bank.Storage), Has.All.EqualTo(1.0).Within(1e-5));
        var before = method.Bank.Storage.ToArray();
        using var batch = Batch(1, 6);
        Step(method, batch, 0.1f);
        var after = method.Bank.Storage.ToArray();
        Assert.That(RowNorms(method.Bank.Storage), Has.All.EqualTo(1.0).Within(1e-5));
        for (int r = 0; r < N; r++)
        {
            bool changed = !before.AsSpan(r * D, D).SequenceEqual(after.AsSpan(r * D, D));
            Assert.That(changed, Is.EqualTo(r is 1 or 6), $"row {r}");
        }
    }

    [Test]
    public void BankUpdateUsesTheStepsFeaturesWithMomentum()
    {
        using var method = Make(new NpidOptions { Negatives = 3, Momentum = 0.5f });
        using var batch = Batch(2, 5);
        var bank = method.Bank.Storage.ToArray();
        float[] v;
        using (var scope = TensorScope.Begin())
        {
            using var ng = Tape.NoGrad();
            v = method.Embed(batch.Views[0]).ToArray();
            method.Loss(batch);
        }
        method.AfterOptimizerStep(batch);
        var after = method.Bank.Storage.ToArray();
        int[] rows = [2, 5];
        for (int b = 0; b < 2; b++)
        {
            var u = Enumerable.Range(0, D).Select(c => 0.5 * bank[rows[b] * D + c] + 0.5 * v[b * D + c]).ToArray();
            double norm = Math.Sqrt(u.Sum(x => x * x));
            for (int c = 0; c < D; c++) Assert.That(after[rows[b] * D + c], Is.EqualTo(u[c] / norm).Within(1e-5));
        }
    }

    [Test]
    public void RunningNormaliserAveragesEachBatchsEstimate()
    {
        const int m = 5;
        const float alpha = 0.75f, tau = 0.07f;
        using var method = Make(new NpidOptions { Negatives = m, Temperature = tau, Normaliser = NpidOptions.RunningNormaliser, NormaliserMomentum = alpha });
        using var first = Batch(0, 3, 7);
        using var second = Batch(1, 2);
        Step(method, first, 0.1f);
        float z1 = method.NormaliserZ!.Value;
        // Ẑ of the second batch from the state it is taken in: the bank and weights after step 1, step 1's negatives.
        double estimate = MonteCarloZ(method, second, step: 1, m, tau);
        Step(method, second, 0.1f);
        double expected = alpha * z1 + (1 - alpha) * estimate;
        Assert.That(method.NormaliserZ!.Value, Is.EqualTo(expected).Within(1e-4 * expected), "Z ← α·Z + (1 − α)·Ẑ");
    }

    [Test]
    public void NormaliserIsMonteCarloFromFirstBatchThenFixed()
    {
        const int m = 5;
        const float tau = 0.07f;
        using var method = Make(new NpidOptions { Negatives = m, Temperature = tau, Normaliser = NpidOptions.FixedNormaliser });
        Assert.That(method.NormaliserZ, Is.Null);
        using var first = Batch(0, 3, 7);
        var table = method.CandidateIndices(0, first.Indices);
        double expected = MonteCarloZ(method, first, step: 0, m, tau);
        Assert.That(table.Where((_, i) => i % (m + 1) == 0), Is.EqualTo(first.Indices), "column 0 holds the positives");
        Step(method, first, 0.1f);
        Assert.That(method.NormaliserZ!.Value, Is.EqualTo(expected).Within(1e-4 * expected));
        float z = method.NormaliserZ.Value;
        using var second = Batch(1, 2);
        Step(method, second, 0.1f);
        Step(method, first, 0.1f);
        Assert.That(method.NormaliserZ, Is.EqualTo(z));
    }

    [Test]
    public void NegativesAreReproducibleFromTheSeed()
    {
        using var a = Make(new NpidOptions { Negatives = 16 }, seed: 11);
        using var b = Make(new NpidOptions { Negatives = 16 }, seed: 11);
        using var c = Make(new NpidOptions { Negatives = 16 }, seed: 12);
        int[] idx = [0, 1, 2];
        Assert.That(a.CandidateIndices(3, idx), Is.EqualTo(b.CandidateIndices(3, idx)));
        Assert.That(a.CandidateIndices(3, idx), Is.Not.EqualTo(c.CandidateIndices(3, idx)));
        Assert.That(a.Bank.Storage.ToArray(), Is.EqualTo(b.Bank.Storage.ToArray()));
        // Two runs with one seed give identical losses step after step.
        using var batch = Batch(0, 1, 2, 3);
        for (int s = 0; s < 3; s++) Assert.That(Step(a, batch, 0.05f), Is.EqualTo(Step(b, batch, 0.05f)), $"step {s}");
    }

    [Test]
    public void NceLossDecreasesUnderSgd()
    {
        using var method = Make(new NpidOptions { Negatives = 32, Temperature = 0.5f });
        using var batch = Batch(0, 1, 2, 3, 4, 5, 6, 7);
        var losses = Enumerable.Range(0, 40).Select(_ => Step(method, batch, 0.5f)).ToArray();
        Assert.That(losses, Has.All.Not.NaN);
        Assert.That(losses.TakeLast(3).Average(), Is.LessThan(0.8 * losses.Take(3).Average()), string.Join(", ", losses));
    }

    [Test]
    public void FullSoftmaxLossDecreasesUnderSgd()
    {
        using var method = Make(new NpidOptions { FullSoftmax = true, Temperature = 0.2f });
        using var batch = Batch(0, 1, 2, 3, 4, 5, 6, 7);
        var losses = Enumerable.Range(0, 40).Select(_ => Step(method, batch, 0.5f)).ToArray();
        Assert.That(losses.TakeLast(3).Average(), Is.LessThan(0.8 * losses.Take(3).Average()), string.Join(", ", losses));
        Assert.That(method.NormaliserZ, Is.Null, "the full softmax needs no Z");
    }

    [Test]
    public void FullSoftmaxIsCrossEntropyAgainstOwnIndex()
    {
        // N = 2, D = 2, identity encoder and head: x = [3, 4] gives v = [0.6, 0.8]. Bank rows
        // e₀, e₁, τ = 0.5: logits [1.2, 1.6]; own index 0 → L = −log(e^1.2/(e^1.2 + e^1.6)) = log(1 + e^0.4).
        float[] identity = [1, 0, 0, 1];
        using var method = new NpidMethod(new FlattenLinear(GradCheck.Cpu, 2, 2, 0, identity), new FlattenLinear(GradCheck.Cpu, 2, 2, 0, identity),
                                    2, 2, new NpidOptions { FullSoftmax = true, Temperature = 0.5f }, GradCheck.Cpu, 1);
        GradCheck.Cpu.CopyFromHost([1f, 0f, 0f, 1f], method.Bank.Storage);
        using var scope = TensorScope.Begin();
        using var batch = new TrainingBatch([Tensor.FromArray(GradCheck.Cpu, [3f, 4f], 1, 2, 1, 1)], [0], [0]);
        using var ng = Tape.NoGrad();
        Assert.That(method.Loss(batch).Item(), Is.EqualTo(Math.Log(1 + Math.Exp(0.4))).Within(1e-6));
        using var other = new TrainingBatch([Tensor.FromArray(GradCheck.Cpu, [3f, 4f], 1, 2, 1, 1)], [1], [0]);
        Assert.That(method.Loss(other).Item(), Is.EqualTo(Math.Log(1 + Math.Exp(-0.4))).Within(1e-6));
    }

    [Test]
    public void StateNamesAndMetadataRestoreTheRun()
    {
        var options = new NpidOptions { Negatives = 6 };
        using var a = Make(options);
        using var batch = Batch(0, 2, 4, 6);
        Step(a, batch, 0.1f);
        Step(a, batch, 0.1f);
        Assert.That(a.StateDict().Select(s => s.Name), Is.EqualTo(new[] { "encoder.weight", "encoder.bias", "embed.weight", "embed.bias", "memory_bank" }));
        // Resume: a fresh method with the run's seed (it fixes the negative stream), then the
        // checkpointed tensors (its bank is still the initial one, a's has moved) and scalars.
        using var b = Make(options, seed: 5);
        var target = b.StateDict().ToDictionary(s => s.Name, s => s.Tensor);
        foreach (var (name, t) in a.StateDict()) GradCheck.Cpu.CopyFromHost(t.ToArray(), target[name]);
        b.LoadStateMetadata(a.StateMetadata());
        Assert.That(b.NormaliserZ, Is.EqualTo(a.NormaliserZ));
        Assert.That(b.Step, Is.EqualTo(2));
        Assert.That(Step(b, batch, 0.1f), Is.EqualTo(Step(a, batch, 0.1f)));
        Assert.That(b.Bank.Storage.ToArray(), Is.EqualTo(a.Bank.Storage.ToArray()));
    }

    [Test]
    public void AfterOptimizerStepNeedsTheSameBatch()
    {
        using var method = Make(new NpidOptions { Negatives = 4 });
        using var one = Batch(0, 1);
        using var two = Batch(2, 3);
        Assert.Throws<InvalidOperationException>(() => method.AfterOptimizerStep(one));
        using (var s = TensorScope.Begin()) using (Tape.NoGrad()) method.Loss(one);
        Assert.Throws<InvalidOperationException>(() => method.AfterOptimizerStep(two));
        Assert.That(method.Name, Is.EqualTo("npid"));
        Assert.That(method.ViewCount, Is.EqualTo(1));
    }

    [Test]
    public void EncoderBankInitHoldsTheInitialEmbeddings()
    {
        using var data = new Engine.Data.ResidentDataset(new Engine.Data.ImageDataset("tiny", C, S, S,
            TinySgd.RandomArray(99, N * C * S * S).Select(x => (byte)(128 + 100 * x)).ToArray(), new int[N], ["a"]), GradCheck.Cpu);
        using var random = Make(new NpidOptions { BankInit = NpidOptions.RandomBank });
        using var method = Make(new NpidOptions { BankInit = NpidOptions.EncoderBank });
        var before = method.Bank.Storage.ToArray();
        Assert.That(before, Is.EqualTo(random.Bank.Storage.ToArray()), "both start from the seed's random bank");
        method.BeforeTraining(new TrainingStart(data, S, 3));
        random.BeforeTraining(new TrainingStart(data, S, 3));
        Assert.That(random.Bank.Storage.ToArray(), Is.EqualTo(before), "bank-init random keeps the random bank");
        float[] expected;
        using (var scope = TensorScope.Begin())
        using (Tape.NoGrad())
        {
            var x = data.Augment(Enumerable.Range(0, N).ToArray(), Engine.Data.AugmentationConfig.Eval(S), 0, 0);
            expected = method.Embed(x).ToArray();
        }
        Assert.That(method.Bank.Storage.ToArray(), Is.EqualTo(expected).Within(1e-6f), "row i = v_i of the initial network");
        Assert.That(RowNorms(method.Bank.Storage), Is.All.EqualTo(1.0).Within(1e-5));
    }

    [Test]
    public void EncoderBankInitPutsTheBatchNormRunningStatisticsBack()
    {
        const int n = 12;
        var rng = new Engine.Randomness.RandomStream(1, Engine.Randomness.StreamId.Of(Engine.Randomness.StreamId.Init));
        var encoder = Engine.Models.ModelFactory.CreateEncoder("small", 1, GradCheck.Cpu, rng, "cifar");
        using var method = (NpidMethod)new NpidDefinition().Create(new MethodContext(encoder, rng, GradCheck.Cpu, n, 4, 8, 1, MethodOptionValues.Defaults));
        using var data = new Engine.Data.ResidentDataset(new Engine.Data.ImageDataset("tiny", 1, 8, 8,
            TinySgd.RandomArray(7, n * 64).Select(x => (byte)(128 + 100 * x)).ToArray(), new int[n], ["a"]), GradCheck.Cpu);
        var buffers = method.Encoder.NamedBuffers().Select(b => b.Tensor.ToArray()).ToList();
        Assert.That(buffers, Is.Not.Empty, "the small encoder has batch norm");
        method.BeforeTraining(new TrainingStart(data, 8, 4));
        Assert.That(method.Encoder.NamedBuffers().Select(b => b.Tensor.ToArray()), Is.EqualTo(buffers));
        Assert.That(method.IsTraining, Is.True);
    }
}
