using NUnit.Framework;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// --knn-bank views: the bank holds each image's latest view-0 features, L2-normalised, at its index; it
/// watches the encoder beside the online probe; a session that fills it trains bit for bit as one that
/// does not; and a run's monitors then use it (every epoch's kNN from the epoch's views, above chance).
/// </summary>
[NonParallelizable]
public class ViewFeatureBankTests : TinySessionData
{
    [Test]
    public void RecordWritesTheNormalisedView0FeaturesAtTheImageIndices()
    {
        var backend = GradCheck.Cpu;
        using var encoder = ModelFactory.CreateEncoder("small", 1, backend, new RandomStream(1, StreamId.Of(StreamId.Init)));
        using var bank = new ViewFeatureBank(encoder, 8, backend);
        using var scope = TensorScope.Begin();
        int d = encoder.FeatureDim;

        bank.BeginStep();
        var h = encoder.Forward(GradCheck.Random(3, 0, 1, 6, 1, 8, 8)).ToArray();   // 3 images × 2 views, view 0 first
        encoder.Forward(GradCheck.Random(4, 0, 1, 2, 1, 8, 8));                       // a later call is not the one kept
        Assert.That(bank.Record([4, 0, 7]), Is.True);
        Assert.That(encoder.OutputObserver, Is.Null, "the encoder is no longer watched");

        var rows = bank.Rows.ToArray();
        int[] images = [4, 0, 7];
        for (int r = 0; r < 3; r++)
        {
            var f = h.AsSpan(r * d, d).ToArray();
            double norm = Math.Sqrt(f.Sum(v => (double)v * v));
            var expected = f.Select(v => (float)(v / norm)).ToArray();
            Assert.That(rows.AsSpan(images[r] * d, d).ToArray(), Is.EqualTo(expected).Within(1e-5f), $"image {images[r]} ← view 0 of batch row {r}");
        }
        Assert.That(rows.AsSpan(1 * d, d).ToArray(), Is.All.EqualTo(0f), "rows not written stay zero");
        Assert.That(bank.TakeWrittenRows(), Is.EqualTo(new[] { 0, 4, 7 }));
        Assert.That(bank.TakeWrittenRows(), Is.Empty, "taking starts the next epoch's set");
        Assert.That(() => bank.Record([8]), Throws.Nothing, "nothing kept since: no write, no check");
        bank.BeginStep();
        encoder.Forward(GradCheck.Random(5, 0, 1, 2, 1, 8, 8));
        Assert.That(() => bank.Record([8]), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void TheBankAndTheOnlineProbeWatchTheEncoderTogether()
    {
        var backend = GradCheck.Cpu;
        using var encoder = ModelFactory.CreateEncoder("small", 1, backend, new RandomStream(1, StreamId.Of(StreamId.Init)));
        using var bank = new ViewFeatureBank(encoder, 4, backend);
        using var probe = new OnlineProbe(encoder, 3, backend, seed: 2);
        using var scope = TensorScope.Begin();
        probe.BeginStep();
        bank.BeginStep();
        encoder.Forward(GradCheck.Random(6, 0, 1, 4, 1, 8, 8));
        Assert.That(bank.Record([2, 3]), Is.True);
        Assert.That(probe.EndStep([1, 0]), Is.True, "the probe still sees the step's features");
        Assert.That(encoder.OutputObserver, Is.Null);
    }

    /// <summary>Three steps of a session; every tensor of the method and its optimiser afterwards, and the bank's written rows.</summary>
    private static (Dictionary<string, float[]> State, int[] Written) Run(Engine.Training.Configuration.TrainingConfig config)
    {
        using var session = TrainingSession.Create(config, Engine.Backends.Cpu.CpuBackend.Instance, prefetch: false);
        session.Method.Train(true);
        int step = 0;
        var served = new SortedSet<int>();
        foreach (var batch in session.Loader.Epoch(0))
        {
            foreach (int i in batch.Indices.AsSpan(0, batch.Size)) served.Add(i);
            session.Step.Run(batch, step, 1, step + 1);
            if (++step == 3) break;
        }
        session.Step.Drain();
        var written = session.ViewBank?.TakeWrittenRows() ?? [];
        if (session.ViewBank is not null) Assert.That(written, Is.EqualTo(served.ToArray()), "one row per image the steps served");
        return (session.Method.StateDict().Concat(session.Optimizer.State()).ToDictionary(s => s.Name, s => s.Tensor.ToArray()), written);
    }

    [TestCase("simclr")]
    [TestCase("swav")]
    public void FillingTheBankChangesNothingTheMethodTrains(string method)
    {
        var views = Run(TinyConfig(method, seed: 4, c => c with { KnnBank = "views" }));
        var images = Run(TinyConfig(method, seed: 4));
        Assert.That(views.Written, Has.Length.EqualTo(24), "3 steps of 8 images");
        Assert.That(images.Written, Is.Empty, "--knn-bank images keeps no bank");
        foreach (var (name, values) in images.State)
            Assert.That(views.State[name], Is.EqualTo(values), $"{method}: {name} is bit-identical with the bank");
    }

    private sealed class Phases : ITrainingObserver
    {
        public readonly List<string> Seen = [];
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double ips) { }
        public void Phase(string what) => Seen.Add(what);
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
    }

    [Test]
    public void EveryMonitoredEpochScoresTheTestImagesAgainstItsViews()
    {
        using var dir = new TempDir();
        var config = TinyConfig("simclr", seed: 5, c => c with { KnnBank = "views", Epochs = 2, EvalEvery = 1, KnnK = 5, Out = dir.Path });
        var phases = new Phases();
        var r = Trainer.Run(config, phases);
        var monitors = phases.Seen.Where(p => p.Contains("kNN monitor (")).ToList();
        Assert.That(monitors, Has.Count.EqualTo(2));
        Assert.That(monitors, Has.All.Contains("48 training views of the epoch as the bank, 4 test images"));
        Assert.That(r.Knn, Is.Not.Null);
        Assert.That(r.Knn!.BankCount, Is.EqualTo(48));
        var metrics = File.ReadAllLines(Path.Combine(dir.Path, "metrics.csv"));
        int column = Array.IndexOf(metrics[0].Split(','), "knn_top1");
        Assert.That(metrics.Skip(1).Select(l => l.Split(',')[column]), Has.All.Not.EqualTo("NaN").And.All.Not.Empty, "a kNN score every epoch");
        Assert.That(Engine.Training.Configuration.TrainingConfig.Load(Path.Combine(dir.Path, "config.json")).KnnBank, Is.EqualTo("views"));
    }
}
