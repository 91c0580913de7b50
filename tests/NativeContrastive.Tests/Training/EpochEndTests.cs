using NUnit.Framework;
using NativeContrastive.Cli;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// The end of an epoch never loses it (issue 10): every split is read and checked before the
/// first step, and the epoch's checkpoint is written before the kNN monitor, so an interrupted
/// monitor leaves the trained epoch and --resume only runs the monitor.
/// </summary>
[NonParallelizable]
public class EpochEndTests
{
    private sealed class Recorder(Func<string, bool>? cancelOnPhase = null, CancellationTokenSource? cts = null) : ITrainingObserver
    {
        public int StepsSeen;
        public void Started(TrainingPlan plan) { }
        public void StepCompleted(int e, int stepInEpoch, long globalStep, double loss, double lr, double ips) => StepsSeen++;
        public void Phase(string what)
        {
            if (cancelOnPhase?.Invoke(what) == true) cts!.Cancel();
        }
        public void EpochCompleted(EpochMetrics metrics, string checkpointPath) { }
    }

    [TestCase("fashion-mnist test label 200")]
    [TestCase("cifar10 test_batch.bin of the wrong size")]
    public void ABadTestSplitIsReportedBeforeTheFirstStep(string what)
    {
        using var data = new TempDir();
        using var run = new TempDir();
        TrainingConfig config;
        string mention;
        if (what.StartsWith("fashion", StringComparison.Ordinal))
        {
            DatasetWriters.FashionMnist(data.Path, 128, 40, gzip: false);
            var labels = DatasetWriters.Labels(40, 10);
            labels[17] = 200;
            DatasetWriters.Write(Path.Combine(data.Path, "t10k-labels-idx1-ubyte"), DatasetWriters.IdxLabels(labels), gzip: false);
            config = new TrainingConfig { Dataset = "fashion-mnist", DataPath = data.Path };
            mention = "200";
        }
        else
        {
            string dir = data.Sub("cifar-10-batches-bin");
            for (int i = 1; i <= 5; i++)
                File.WriteAllBytes(Path.Combine(dir, $"data_batch_{i}.bin"),
                    DatasetWriters.CifarRecords(26, 26 * (i - 1), Enumerable.Range(0, 26).Select(j => new[] { (byte)(j % 10) }).ToArray()));
            var test = DatasetWriters.CifarRecords(10, 0, Enumerable.Range(0, 10).Select(j => new[] { (byte)j }).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), test[..^100]);
            config = new TrainingConfig { Dataset = "cifar10", DataPath = data.Path };
            mention = "test_batch.bin";
        }
        config = config with { Arch = "small", BatchSize = 32, Epochs = 1, KnnK = 5, Out = run.Path };
        var observer = new Recorder();
        var e = Assert.Catch(() => Trainer.Run(config, observer))!;
        Assert.That(ErrorReporter.IsUserError(e), e.ToString());
        Assert.That(e.Message, Does.Contain(mention));
        Assert.That(observer.StepsSeen, Is.Zero, "checked before the first step");
    }

    [Test]
    public void CtrlCDuringTheFinalKnnMonitorKeepsTheEpochAndResumeOnlyRunsTheMonitor()
    {
        if (!File.Exists(Path.Combine(DatasetCatalog.FashionMnistDefaultDir, "train-images-idx3-ubyte.gz")))
            Assert.Ignore("Fashion-MNIST is not installed (scripts/setup.sh installs it)");
        using var a = new TempDir();
        using var b = new TempDir();
        var config = new TrainingConfig { Arch = "small", Limit = 256, BatchSize = 64, Epochs = 2, EvalLimit = 100, KnnK = 20, Seed = 5 };
        var straight = Trainer.Run(config with { Out = a.Path });

        using var cts = new CancellationTokenSource();
        var stopper = new Recorder(p => p.StartsWith("epoch 2: kNN monitor", StringComparison.Ordinal), cts);
        var stopped = Trainer.Run(config with { Out = b.Path }, stopper, cts.Token);
        Assert.That(stopped.Cancelled, Is.True);
        Assert.That(stopper.StepsSeen, Is.EqualTo(8));
        var folder = new RunFolder(b.Path);
        Assert.That(stopped.CheckpointPath, Is.EqualTo(folder.LastCheckpointPath), "the trained epoch has its checkpoint");
        Assert.That(TrainingCheckpoint.Read(folder.LastCheckpointPath).Epoch, Is.EqualTo(2));
        Assert.That(File.ReadAllLines(folder.MetricsPath), Has.Length.EqualTo(3));
        Assert.That(File.ReadAllLines(folder.MetricsPath)[2].Split(',')[3], Is.Empty, "no kNN yet");

        var again = new Recorder();
        var resumed = Trainer.Run(config with { Out = b.Path, Resume = b.Path }, again);
        Assert.That(resumed.Cancelled, Is.False);
        Assert.That(again.StepsSeen, Is.Zero, "nothing left to train");
        Assert.That(resumed.Knn, Is.Not.Null);
        Assert.That((resumed.Knn!.Top1, resumed.Knn.Top5), Is.EqualTo((straight.Knn!.Top1, straight.Knn.Top5)));
        // The same rows apart from the timings (images_per_s, seconds and the time breakdown, which the stopped epoch never completed).
        int timed = 2 + EpochTimes.Columns.Length;
        string[] Untimed(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l.Split(',')).Select(f => string.Join(",", f.Take(5).Concat(f.Skip(5 + timed)))).ToArray();
        Assert.That(Untimed(b.Path), Is.EqualTo(Untimed(a.Path)));
        var x = SafeTensorsFile.Read(Path.Combine(a.Path, "last.safetensors"));
        var y = SafeTensorsFile.Read(Path.Combine(b.Path, "last.safetensors"));
        foreach (var t in x.Tensors) Assert.That(y[t.Name].Data, Is.EqualTo(t.Data), t.Name);
    }
}
