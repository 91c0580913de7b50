using NUnit.Framework;

namespace NativeContrastive.Tests.Cli;

/// <summary>Command-line errors are one line on stderr with exit code 2 and nothing run.</summary>
public class CliParsingTests
{
    private static void AssertUsageError(CliRunner.Result r, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain(mentions));
        Assert.That(r.Error, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(r.Out, Is.Empty);
    }

    [Test]
    public void UnknownFlag() => AssertUsageError(CliRunner.Run("train", "--epoch", "3"), "--epoch");

    [Test]
    public void BadChoice() => AssertUsageError(CliRunner.Run("train", "--method", "byol"), "byol");

    [Test]
    public void BadArchitecture() => AssertUsageError(CliRunner.Run("train", "--arch", "vgg"), "vgg");

    [Test]
    public void NegativeEpochs() => AssertUsageError(CliRunner.Run("train", "--epochs", "-2"), "-2");

    [Test]
    public void NotANumber() => AssertUsageError(CliRunner.Run("train", "--batch-size", "many"), "many");

    [Test]
    public void NonPositiveTemperature() => AssertUsageError(CliRunner.Run("train", "--temperature", "0"), "--temperature");

    [Test]
    public void CropScaleAboveOneIsAUsageError() => AssertUsageError(CliRunner.Run("train", "--crop-scale-min", "2"), "--crop-scale-min");

    [Test]
    public void JitterStrengthAboveTwoIsAUsageError() => AssertUsageError(CliRunner.Run("train", "--jitter-strength", "3"), "--jitter-strength");

    [Test]
    public void MethodOptionOutOfRangeIsAUsageError() => AssertUsageError(CliRunner.Run("train", "--method", "swav", "--prototypes", "1"), "--prototypes must be ≥ 2");

    [Test]
    public void BadMultiCropPlanIsAUsageError() => AssertUsageError(CliRunner.Run("train", "--method", "swav", "--multi-crop", "1x28"), "--multi-crop");

    [Test]
    public void AnotherMethodsOptionIsOneErrorLineNamingBoth()
    {
        var r = CliRunner.Run("train", "--method", "simclr", "--negatives", "64", "--out", "unused");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: --negatives is an option of npid, not of --method simclr"));
    }

    [Test]
    public void HelpListsEachMethodsDefaults()
    {
        var r = CliRunner.Run("train", "--help");
        Assert.That(r.Out, Does.Contain("simclr/npid/swav/nnclr/supcon: Loss temperature").And.Contain("simclr 0.5, npid 0.07, swav 0.1, nnclr 0.1, supcon 0.1"));
        Assert.That(r.Out, Does.Contain("--freeze-prototypes-iters").And.Contain("--queue-length").And.Contain("--nce-z"));
        Assert.That(r.Out, Does.Contain("nnclr: Support set").And.Contain("--nnclr-predictor").And.Contain("supervised: Label smoothing").And.Contain("--no-online-probe"));
    }

    [Test]
    public void KnnNeedsACheckpoint() => AssertUsageError(CliRunner.Run("knn"), "--checkpoint");

    [Test]
    public void UnknownCommand() => AssertUsageError(CliRunner.Run("fit"), "fit");

    [Test]
    public void NoCommandIsAUsageError()
    {
        var r = CliRunner.Run();
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
    }

    [Test]
    public void HelpListsEveryTrainFlagWithDefaults()
    {
        var r = CliRunner.Run("train", "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        foreach (var flag in new[] { "--method", "--dataset", "--data", "--arch", "--device", "--epochs", "--batch-size", "--lr", "--temperature",
                     "--seed", "--limit", "--out", "--optimizer", "--weight-decay", "--warmup-epochs", "--negatives", "--nce-momentum",
                     "--full-softmax", "--eval-every", "--knn-k", "--knn-temperature", "--image-size", "--resume" })
            Assert.That(r.Out, Does.Contain(flag));
        Assert.That(r.Out, Does.Contain("[default: simclr]"));
    }

    [TestCase("train")]
    [TestCase("knn")]
    [TestCase("eval")]
    [TestCase("linear")]
    [TestCase("kernels")]
    [TestCase("profile")]
    [TestCase("embed")]
    [TestCase("search")]
    [TestCase("export")]
    public void HelpShowsEachDefaultOnce(string command)
    {
        // A flag whose description names its default and which also has a DefaultValueFactory
        // printed it twice ("[default: 10] [default: 10]" on nc profile --steps).
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var twice = r.Out.Split('\n').Where(line => line.Split("[default:").Length > 2).ToArray();
        Assert.That(twice, Is.Empty, r.Out);
    }

    [Test]
    public void MissingCheckpointFileIsOneUserErrorLine()
    {
        var r = CliRunner.Run("knn", "--checkpoint", "/nonexistent/x.safetensors");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: /nonexistent/x.safetensors"));
    }
}
