using NUnit.Framework;

namespace NativeContrastive.Tests.Cli;

/// <summary>An empty path (--data '', --out '', --resume '', --checkpoint '', --config '') is a usage error: one line naming the flag, exit code 2.</summary>
public class EmptyPathTests
{
    [TestCase("train", "--data")]
    [TestCase("train", "--out")]
    [TestCase("train", "--resume")]
    [TestCase("train", "--config")]
    [TestCase("knn", "--checkpoint")]
    [TestCase("knn", "--data")]
    [TestCase("eval", "--checkpoint")]
    [TestCase("eval", "--out")]
    [TestCase("linear", "--checkpoint")]
    [TestCase("linear", "--data")]
    [TestCase("linear", "--out")]
    [TestCase("profile", "--data")]
    public void AnEmptyPathIsAUsageError(string command, string flag)
    {
        foreach (var empty in new[] { "", "  " })
        {
            string[] args = command == "train" || command == "profile" || flag == "--checkpoint"
                ? [command, flag, empty]
                : [command, "--checkpoint", "somewhere", flag, empty];
            var r = CliRunner.Run(args);
            Assert.That(r.ExitCode, Is.EqualTo(2), $"{string.Join(" ", args)}: {r.Error}");
            Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
            Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain(flag).And.Contain("empty"));
            Assert.That(r.Error, Does.Not.Contain("   at "));
            Assert.That(r.Out, Is.Empty);
        }
    }
}
