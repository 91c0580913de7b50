using System.Globalization;
using NUnit.Framework;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Cli;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// `nc train --precision` end to end on a tiny data set: on emu the tf32 and bf16 steps run the
/// tensor-core kernels (conv_mma.cu) through a whole run — forward, both backward convolutions,
/// the optimiser, checkpoints — with finite losses that differ from fp32's (the rounding is really
/// applied), and the first step's loss agrees with the cpu reference at the same precision to
/// 1e-4 (same rounded operands, fp32 accumulation in another order).
/// </summary>
[NonParallelizable]
public class PrecisionTrainingTests
{
    private TempDir data = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 32, testCount: 8);
    }

    [OneTimeTearDown]
    public void DeleteData() => data.Dispose();

    [TestCase("tf32")]
    [TestCase("bf16")]
    public void ReducedPrecisionTrainsOnEmuAsOnTheCpuReference(string precision)
    {
        var fp32 = Losses("emu", "fp32");
        var emu = Losses("emu", precision);
        var cpu = Losses("cpu", precision);
        Assert.That(emu, Has.All.Matches<double>(double.IsFinite));
        Assert.That(emu.Length, Is.EqualTo(fp32.Length));
        Assert.That(emu, Is.Not.EqualTo(fp32), $"{precision} rounds the convolution operands");
        Assert.That(emu[0], Is.EqualTo(cpu[0]).Within(1e-4 * Math.Abs(cpu[0])), "first step: emu tensor cores vs the cpu reference");
        for (int i = 1; i < emu.Length; i++)
            Assert.That(emu[i], Is.EqualTo(cpu[i]).Within(1e-2 * Math.Abs(cpu[i])), $"step {i + 1}");
    }

    private double[] Losses(string device, string precision)
    {
        using var run = new TempDir();
        var r = CliRunner.Run("train", "--device", device, "--precision", precision, "--data", data.Path, "--out", run.Path, "--arch", "small",
            "--epochs", "1", "--batch-size", "8", "--limit", "32", "--image-size", "16", "--seed", "9", "--eval-limit", "8");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var folder = new RunFolder(run.Path);
        Assert.That(TrainingConfig.Load(folder.ConfigPath).Precision, Is.EqualTo(precision));
        return File.ReadAllLines(folder.StepsPath).Skip(1)
            .Select(line => double.Parse(line.Split(',')[2], CultureInfo.InvariantCulture)).ToArray();
    }
}
