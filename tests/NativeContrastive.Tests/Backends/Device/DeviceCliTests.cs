using System.Text.RegularExpressions;
using NUnit.Framework;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Tests.Cli;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>`nc train --device emu` and `nc knn --device emu` end to end, in-process, on a tiny Fashion-MNIST-format data set.</summary>
[NonParallelizable]
public class DeviceCliTests
{
    [Test]
    public void TrainOneEpochOnEmuThenKnnOnEmu()
    {
        using var data = new TempDir();
        using var run = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 48, testCount: 16);
        var train = CliRunner.Run("train", "--device", "emu", "--data", data.Path, "--out", run.Path, "--arch", "small", "--epochs", "1",
            "--batch-size", "16", "--limit", "48", "--image-size", "16", "--knn-k", "5", "--seed", "3");
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Error);
        Assert.That(train.OutLines[^1], Does.Match(@"^done: simclr small fashion-mnist 1 epoch, loss \d+\.\d+, knn top1 \d+\.\d% top5 \d+\.\d%, \d+ img/s, .*checkpoint "),
            train.Out);

        var folder = new RunFolder(run.Path);
        foreach (var f in new[] { folder.ConfigPath, folder.MetricsPath, folder.StepsPath, folder.LastCheckpointPath, folder.EpochCheckpointPath(1) })
            Assert.That(File.Exists(f), f);
        Assert.That(TrainingConfig.Load(folder.ConfigPath).Device, Is.EqualTo("emu"));
        Assert.That(File.ReadAllLines(folder.StepsPath), Has.Length.EqualTo(1 + 3), "48 images in batches of 16: 3 steps");
        var lastStep = File.ReadAllLines(folder.StepsPath)[^1].Split(',');
        Assert.That(double.TryParse(lastStep[2], System.Globalization.CultureInfo.InvariantCulture, out double loss) && double.IsFinite(loss), string.Join(",", lastStep));

        var knn = CliRunner.Run("knn", "--checkpoint", run.Path, "--device", "emu", "--k", "5");
        Assert.That(knn.ExitCode, Is.EqualTo(0), knn.Error);
        Assert.That(Regex.IsMatch(knn.Out, @"^knn k=5 t=0\.1: top1 \d+\.\d\d% top5 \d+\.\d\d% \(16 test images, bank 48\)"), knn.Out);
    }

    [Test]
    public void CudaWithoutAGpuIsOneUserErrorLine()
    {
        if (CudaDevice.IsAvailable(out _)) Assert.Ignore("a CUDA device is present");
        using var run = new TempDir();
        var r = CliRunner.Run("train", "--device", "cuda", "--out", run.Path, "--epochs", "1");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: --device cuda: ").And.Contain("--device cpu or --device emu"));
    }
}
