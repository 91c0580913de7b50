using NUnit.Framework;

namespace NativeContrastive.Tests.Cli;

/// <summary>`nc kernels` compiles every kernel with NVRTC (no GPU needed) and tabulates ptxas' figures.</summary>
public class KernelsCommandTests
{
    [TestCase("sm_80")]
    [TestCase("sm_90")]
    public void PrintsOneRowPerKernelWithoutSpills(string arch)
    {
        var r = CliRunner.Run("kernels", "--arch", arch);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var rows = r.OutLines.Where(l => l.Contains("_kernel")).ToArray();
        Assert.That(rows, Has.Length.GreaterThanOrEqualTo(30));
        Assert.That(rows, Has.All.Contains(arch));
        Assert.That(r.OutLines[^1], Does.Match($@"^{rows.Length} kernels in \d+ files, 0 with spills$"));
    }

    [Test]
    public void UnknownArchIsAUsageError()
    {
        var r = CliRunner.Run("kernels", "--arch", "sm_75");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
    }
}
