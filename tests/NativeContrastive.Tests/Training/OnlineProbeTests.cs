using NUnit.Framework;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Tests.Data;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// The online linear probe: training sessions with and without it leave the method (every
/// parameter, buffer, queue) and its optimiser bit-identical after several steps, for every
/// method, while the probe itself learns; it trains on the labelled rows of view 0 only and
/// scores its predictions before each update.
/// </summary>
[NonParallelizable]
public class OnlineProbeTests : TinySessionData
{
    private TrainingConfig Config(string method, bool probe) => TinyConfig(method, seed: 9, c => c with { OnlineProbe = probe });

    /// <summary>Three steps of a session; every tensor of the method and its optimiser afterwards, and the session's probe step count.</summary>
    private static (Dictionary<string, float[]> State, long ProbeSteps, float[]? ProbeWeight) Run(TrainingConfig config)
    {
        using var session = TrainingSession.Create(config, Engine.Backends.Cpu.CpuBackend.Instance, prefetch: false);
        float[]? initialProbe = session.Probe?.Head.StateDict().First().Tensor.ToArray();
        session.Method.Train(true);
        int step = 0;
        foreach (var batch in session.Loader.Epoch(0))
        {
            session.Step.Run(batch, step, 1, step + 1);
            if (++step == 3) break;
        }
        var state = session.Method.StateDict().Concat(session.Optimizer.State()).ToDictionary(s => s.Name, s => s.Tensor.ToArray());
        var probeWeight = session.Probe?.Head.StateDict().First().Tensor.ToArray();
        if (probeWeight is not null) Assert.That(probeWeight, Is.Not.EqualTo(initialProbe), "the probe learns");
        return (state, session.Probe?.StepCount ?? 0, probeWeight);
    }

    [TestCase("simclr")]
    [TestCase("npid")]
    [TestCase("swav")]
    [TestCase("nnclr")]
    [TestCase("supcon")]
    [TestCase("supervised")]
    public void TheProbeChangesNothingTheMethodTrains(string method)
    {
        var with = Run(Config(method, probe: true));
        var without = Run(Config(method, probe: false));
        Assert.That(with.ProbeSteps, Is.EqualTo(3));
        Assert.That(without.ProbeSteps, Is.Zero);
        Assert.That(with.State.Keys, Is.EquivalentTo(without.State.Keys));
        foreach (var (name, values) in without.State)
            Assert.That(with.State[name], Is.EqualTo(values), $"{method}: {name} is bit-identical with the probe");
    }

    [Test]
    public void TheProbeTrainsOnTheLabelledRowsOfView0AndScoresBeforeUpdating()
    {
        var backend = GradCheck.Cpu;
        using var encoder = ModelFactory.CreateEncoder("small", 1, backend, new RandomStream(1, StreamId.Of(StreamId.Init)));
        using var probe = new OnlineProbe(encoder, 3, backend, seed: 2);
        using var scope = TensorScope.Begin();
        var x = GradCheck.Random(3, 0, 1, 6, 1, 8, 8);   // 3 samples × 2 views, view 0 first
        int[] labels = [2, -1, 0];

        probe.BeginStep();
        var h = encoder.Forward(x);
        encoder.Forward(GradCheck.Random(4, 0, 1, 2, 1, 8, 8));   // a later encoder call is not the one kept
        probe.StopWatching();
        float[] w = probe.Head.StateDict().First().Tensor.ToArray(), bias = probe.Head.StateDict().Skip(1).First().Tensor.ToArray();
        // The expected prediction of the two labelled rows, from the weights before the update.
        var f = h.ToArray();
        int Predict(int row) => Enumerable.Range(0, 3).MaxBy(c => Enumerable.Range(0, encoder.FeatureDim).Sum(k => (double)w[c * encoder.FeatureDim + k] * f[row * encoder.FeatureDim + k]) + bias[c]);
        int right = (Predict(0) == 2 ? 1 : 0) + (Predict(2) == 0 ? 1 : 0);

        Assert.That(probe.EndStep(labels), Is.True);
        Assert.That(probe.StepCount, Is.EqualTo(1));
        Assert.That(encoder.OutputObserver, Is.Null, "the encoder is no longer watched");
        Assert.That(probe.EndEpoch()[OnlineProbe.AccuracyColumn], Is.EqualTo(100.0 * right / 2));
        Assert.That(probe.EndEpoch(), Is.Empty, "a new epoch starts empty");
        Assert.That(encoder.NamedParameters().All(p => p.Tensor.Grad!.ToArray().All(g => g == 0f)), "no gradient reaches the encoder");

        probe.BeginStep();
        encoder.Forward(x);
        Assert.That(probe.EndStep([-1, -1, -1]), Is.False, "nothing labelled: no update");
        Assert.That(probe.StepCount, Is.EqualTo(1));
    }
}
