using NUnit.Framework;
using NativeContrastive.Cli;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Tests.Cli;

/// <summary>How <see cref="ErrorReporter"/> words failures that come in pairs (training failed, and a background write too).</summary>
public class ErrorReporterTests
{
    [Test]
    public void TwoUserErrorsTogetherAreOneLineEach()
    {
        var both = new AggregateException(new TrainingException("the loss became NaN at epoch 3, step 2"),
            new CheckpointFormatException("/runs/a/epoch-2.safetensors", "cannot write checkpoint: No space left on device"));
        var err = new StringWriter();
        Assert.That(ErrorReporter.Report(both, err), Is.EqualTo(ExitCodes.UserError));
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("nc: error: the loss became NaN"));
        Assert.That(lines[1], Does.StartWith("nc: error: /runs/a/epoch-2.safetensors: cannot write checkpoint"));
    }

    [Test]
    public void ABugAmongThemIsStillAnInternalError()
    {
        var both = new AggregateException(new TrainingException("x"), new NullReferenceException("y"));
        Assert.That(ErrorReporter.Report(both, new StringWriter()), Is.EqualTo(ExitCodes.InternalError));
    }
}
