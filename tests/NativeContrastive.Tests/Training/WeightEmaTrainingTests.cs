using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Tests.Data;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// --ema-decay in a training session: the average changes nothing the method trains (every tensor
/// of the method and its optimiser bit-identical with and without it), covers the model's weights
/// and batch-norm statistics but not the method's data (memory bank, queues), and after each step
/// equals the recurrence a ← d_t·a + (1 − d_t)·w over the weights the steps produced.
/// </summary>
[NonParallelizable]
public class WeightEmaTrainingTests : TinySessionData
{
    private TrainingConfig Config(string method, float ema) => TinyConfig(method, seed: 5, c => c with { EmaDecay = ema });

    [TestCase("simclr")]
    [TestCase("npid")]
    [TestCase("nnclr")]
    public void TheAverageFollowsTheWeightsAndChangesNothingTheMethodTrains(string method)
    {
        const float decay = 0.5f;
        Dictionary<string, float[]> withoutState;
        using (var plain = TrainingSession.Create(Config(method, 0f), Engine.Backends.Cpu.CpuBackend.Instance, prefetch: false))
        {
            Assert.That(plain.Ema, Is.Null, "off by default");
            plain.Method.Train(true);
            int s = 0;
            foreach (var batch in plain.Loader.Epoch(0)) { plain.Step.Run(batch, s, 1, s + 1); if (++s == 3) break; }
            withoutState = plain.Method.StateDict().Concat(plain.Optimizer.State()).ToDictionary(t => t.Name, t => t.Tensor.ToArray());
        }

        using var session = TrainingSession.Create(Config(method, decay), Engine.Backends.Cpu.CpuBackend.Instance, prefetch: false);
        var ema = session.Ema!;
        var model = session.Method.ModuleStateDict().ToArray();
        Assert.That(ema.State().Select(t => t.Name), Is.EqualTo(model.Select(t => "ema." + t.Name)), "the model's weights and buffers, nothing else");
        Assert.That(ema.State().Select(t => t.Name), Has.None.Contains("memory_bank").And.None.Contains("queue"));
        // The recurrence worked in double from the weights after each step.
        var expected = model.ToDictionary(t => t.Name, t => t.Tensor.ToArray().Select(v => (double)v).ToArray());
        session.Method.Train(true);
        int step = 0;
        foreach (var batch in session.Loader.Epoch(0))
        {
            session.Step.Run(batch, step, 1, step + 1);
            double d = ema.DecayAt(step);
            foreach (var (name, w) in model)
            {
                var now = w.ToArray();
                var e = expected[name];
                for (int i = 0; i < e.Length; i++) e[i] = d * e[i] + (1 - d) * now[i];
            }
            if (++step == 3) break;
        }
        Assert.That(ema.Updates, Is.EqualTo(3));
        foreach (var (name, average) in ema.State())
        {
            var e = expected[name["ema.".Length..]];
            var a = average.ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 + 1e-5 * Math.Abs(e[i])), $"{name}[{i}]");
        }
        var withState = session.Method.StateDict().Concat(session.Optimizer.State()).ToDictionary(t => t.Name, t => t.Tensor.ToArray());
        Assert.That(withState.Keys, Is.EquivalentTo(withoutState.Keys));
        foreach (var (name, values) in withoutState)
            Assert.That(withState[name], Is.EqualTo(values), $"{method}: {name} is bit-identical with the average kept");
    }
}

/// <summary>
/// SWA's batch-norm recalibration: the running statistics become the plain mean of the per-batch
/// statistics over the training images (what torch's update_bn computes), whatever they were before,
/// and the method's momenta and mode are put back.
/// </summary>
[NonParallelizable]
public class BatchNormRecalibrationTests : TinySessionData
{
    /// <summary>The encoder as a module the feature extractor may put into eval mode without reaching the encoder.</summary>
    private sealed class Unswitched(Engine.Nn.Module inner) : Engine.Nn.Module(inner.Backend)
    {
        public override Engine.Tensors.Tensor Forward(Engine.Tensors.Tensor x) => inner.Forward(x);
    }

    [Test]
    public void StatisticsAreTheMeanOverBatchesWhateverTheyWereBefore()
    {
        var config = TinyConfig("simclr", seed: 3, c => c with { BatchSize = 16, OnlineProbe = false });
        using var session = TrainingSession.Create(config, Engine.Backends.Cpu.CpuBackend.Instance, prefetch: false);
        var method = session.Method;
        var layers = method.TrainedModules().SelectMany(m => m.SelfAndDescendants()).OfType<Engine.Nn.BatchNorm>().ToArray();
        Assert.That(layers, Has.Length.GreaterThan(2), "encoder and projector layers");
        var stats = method.ModuleStateDict().Where(t => t.Name.Contains("running_")).ToArray();

        // Expected: each batch of 16 alone with momentum 1 (the running statistics become that batch's), averaged.
        var expected = stats.ToDictionary(s => s.Name, s => new double[s.Tensor.Length]);
        method.Train(true);
        foreach (var l in layers) l.Momentum = 1f;
        for (int b = 0; b < 3; b++)
        {
            Engine.Eval.FeatureExtractor.ExtractWithHead(new Unswitched(method.Encoder), method.Project, session.Data, 16, 12,
                indices: Enumerable.Range(16 * b, 16).ToArray()).Features.Dispose();
            foreach (var (name, t) in stats)
            {
                var v = t.ToArray();
                for (int i = 0; i < v.Length; i++) expected[name][i] += v[i] / 3.0;
            }
        }
        foreach (var l in layers) l.Momentum = 0.1f;
        foreach (var (_, t) in stats) Engine.Backends.Cpu.CpuBackend.Instance.Fill(t, 123f);   // garbage before
        method.Train(false);

        Assert.That(BatchNormRecalibration.Run(method, session.Data, 16, 12), Is.EqualTo(layers.Length));
        foreach (var (name, t) in stats)
        {
            var v = t.ToArray();
            for (int i = 0; i < v.Length; i++)
                Assert.That(v[i], Is.EqualTo(expected[name][i]).Within(1e-4 + 1e-4 * Math.Abs(expected[name][i])), $"{name}[{i}]");
        }
        Assert.That(layers.Select(l => l.Momentum), Is.All.EqualTo(0.1f), "momenta put back");
        Assert.That(method.IsTraining, Is.False, "mode put back");
    }
}
