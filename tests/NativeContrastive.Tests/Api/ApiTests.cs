using NativeContrastive.Engine.Api;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Cli;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Api;

/// <summary>
/// The library surface (NativeContrastive.Engine.Api) as a host uses it: a tiny training run from a config
/// object with progress callbacks, then the checkpoint loaded and images embedded as files, decoded pixels
/// and normalised floats, with nearest neighbours.
/// </summary>
[NonParallelizable]
public class ApiTests
{
    private static TempDir data = null!, run = null!;
    private static TrainingOutcome outcome = null!;
    private static readonly List<StepProgress> Steps = [];
    private static readonly List<EpochProgress> Epochs = [];
    private static readonly List<string> Messages = [];

    [OneTimeSetUp]
    public void TrainWithTheApi()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 40, testCount: 20);
        run = new TempDir();
        var training = TrainingRun.FromConfig(new TrainingConfig
        {
            Method = "npid", DataPath = data.Path, Out = run.Path, Epochs = 2, BatchSize = 16, Limit = 40, Seed = 5, OnlineProbe = false,
        });
        training.StepCompleted = Steps.Add;
        training.EpochCompleted = Epochs.Add;
        training.Message = Messages.Add;
        outcome = training.Run();
    }

    [OneTimeTearDown]
    public void Remove()
    {
        data.Dispose();
        run.Dispose();
    }

    [Test]
    public void TrainingRunReportsEveryStepAndEpoch()
    {
        Assert.That(outcome.Cancelled, Is.False);
        Assert.That(outcome.Epochs, Is.EqualTo(2));
        Assert.That(outcome.CheckpointPath, Is.EqualTo(Path.Combine(run.Path, "last.safetensors")));
        Assert.That(File.Exists(outcome.CheckpointPath), Is.True);
        // 40 images in batches of 16 (the last partial batch dropped or kept as the loader does): the same count each epoch.
        int perEpoch = Steps[0].StepsPerEpoch;
        Assert.That(Steps, Has.Count.EqualTo(2 * perEpoch));
        Assert.That(Steps.Select(s => (s.Epoch, s.Step)), Is.EqualTo(Enumerable.Range(1, 2).SelectMany(e => Enumerable.Range(1, perEpoch).Select(s => (e, s)))));
        Assert.That(Steps, Has.All.Matches<StepProgress>(s => s!.Epochs == 2 && double.IsFinite(s.Loss) && s.LearningRate >= 0));
        Assert.That(Epochs.Select(e => e.Epoch), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(Epochs[^1].CheckpointPath, Does.EndWith(".safetensors"));
        Assert.That(Epochs[^1].KnnTop1, Is.Not.Null.And.InRange(0.0, 100.0));
        Assert.That(outcome.FinalLoss, Is.EqualTo(Epochs[^1].Loss));
        Assert.That(Messages[0], Does.StartWith("training npid small fashion-mnist"));
    }

    [Test]
    public void EmbedsFilesPixelsAndNormalizedBuffersAlike()
    {
        using var encoder = Encoder.Load(outcome.CheckpointPath!, "cpu");
        Assert.That((encoder.Method, encoder.Arch, encoder.Device, encoder.InputChannels, encoder.ImageSize, encoder.FeatureDim, encoder.HasHead),
            Is.EqualTo(("npid", "small", "cpu", 1, 28, 128, true)));
        Assert.That(encoder.NormalizationMean, Is.EqualTo(new[] { 0.2860f }));

        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test);
        using var dir = new TempDir();
        var files = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            files.Add(Path.Combine(dir.Path, $"img{i}.png"));
            EmbedSearchExportCommandTests.WritePng(files[^1], test, i);
        }
        var fromFiles = encoder.EmbedFiles(files);
        var fromPixels = encoder.EmbedPixels(test.Pixels.AsSpan(0, 5 * 784), 5, 1, 28, 28);
        var normalized = test.Pixels.AsSpan(0, 5 * 784).ToArray().Select(p => (p / 255f - 0.2860f) / 0.3530f).ToArray();
        var fromFloats = encoder.EmbedNormalized(normalized, 5);

        Assert.That((fromFiles.Count, fromFiles.FeatureDim, fromFiles.HeadDim), Is.EqualTo((5, 128, 128)));
        Assert.That(fromFiles.Sources, Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"img{i}.png")));
        Assert.That(fromPixels.FeatureMatrix(), Is.EqualTo(fromFiles.FeatureMatrix()));
        Assert.That(fromPixels.HeadMatrix(), Is.EqualTo(fromFiles.HeadMatrix()));
        Assert.That(fromFloats.FeatureMatrix(), Is.EqualTo(fromFiles.FeatureMatrix()).Within(1e-5));
        Assert.That(fromFloats.Head(4).ToArray(), Is.EqualTo(fromFiles.Head(4).ToArray()).Within(1e-5));

        // A larger decoded image is resized to the training side.
        var big = new byte[56 * 56];
        for (int y = 0; y < 56; y++) for (int x = 0; x < 56; x++) big[y * 56 + x] = test.Pixels[y / 2 * 28 + x / 2];
        Assert.That(encoder.EmbedPixels(big, 1, 1, 56, 56).FeatureDim, Is.EqualTo(128));

        var nearest = fromFiles.Nearest(fromFiles.Features(2), k: 2);
        Assert.That(nearest[0].Index, Is.EqualTo(2));
        Assert.That(nearest[0].Score, Is.EqualTo(1f).Within(1e-5));
        Assert.That(nearest[0].Source, Is.EqualTo("img2.png"));
        Assert.That(fromFiles.Nearest(fromFiles.Head(2), k: 1, useHead: true, exclude: 2)[0].Index, Is.Not.EqualTo(2));
    }

    [Test]
    public void ExportsOnnxAndReportsBadInputs()
    {
        using var encoder = Encoder.Load(run.Path);
        using var dir = new TempDir();
        encoder.ExportOnnx(Path.Combine(dir.Path, "m.onnx"), withHead: true);
        Assert.That(new FileInfo(Path.Combine(dir.Path, "m.onnx")).Length, Is.GreaterThan(100_000));
        Assert.Throws<ArgumentException>(() => encoder.EmbedPixels(new byte[3 * 28 * 28], 1, 3, 28, 28));
        Assert.Throws<ArgumentException>(() => encoder.EmbedPixels(new byte[10], 1, 1, 28, 28));
        Assert.Throws<ArgumentException>(() => encoder.EmbedNormalized(new float[10], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.EmbedNormalized(new float[784], 1).Features(1));
        Assert.Throws<ArgumentException>(() => Encoder.Load(run.Path, "tpu"));
        string notCheckpoint = Path.Combine(dir.Path, "x.safetensors");
        var file = new SafeTensorsFile();
        file.AddFloat32("w", [1], [1f]);
        file.Write(notCheckpoint);
        Assert.That(Assert.Throws<CheckpointFormatException>(() => Encoder.Load(notCheckpoint))!.Message, Does.Contain("not a training checkpoint"));
    }

    [Test]
    public void TrainingRunReadsAConfigFile()
    {
        using var dir = new TempDir();
        string yaml = Path.Combine(dir.Path, "run.yaml");
        File.WriteAllText(yaml, "method: simclr\nepochs: 4\nbatch_size: 32\nmethod_options:\n  temperature: 0.2\n");
        var training = TrainingRun.FromConfigFile(yaml, c => c with { Out = Path.Combine(dir.Path, "out") });
        Assert.That((training.Config.Method, training.Config.Epochs, training.Config.BatchSize, training.Config.Out),
            Is.EqualTo(("simclr", 4, 32, Path.Combine(dir.Path, "out"))));
        Assert.That(training.Config.MethodOptions["temperature"], Is.EqualTo("0.2"));
        File.WriteAllText(yaml, "epochs: many\n");
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingRun.FromConfigFile(yaml))!.Message, Does.Contain("epochs"));
    }
}
