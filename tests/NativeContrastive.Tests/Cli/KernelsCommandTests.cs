using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Report;
using NUnit.Framework;
using NativeContrastive.Tests.KernelTests;

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

    [Test]
    public void EveryKernelHasItsSassInstructionCount()
    {
        Nvrtc.RequireOrIgnore();
        var rows = KernelReport.CompileAll(GpuArch.Sm90);
        Assert.That(rows.Where(r => r.Instructions is not > 0).Select(r => r.Kernel), Is.Empty, "a .text section per kernel");
        // A kernel with an unrolled tensor-core main loop is far longer than a one-line elementwise one.
        long Count(string k) => rows.Single(r => r.Kernel == k).Instructions!.Value;
        Assert.That(Count("conv2d_forward_mma_tf32_kernel"), Is.GreaterThan(5 * Count("add_forward_kernel")));
    }

    [Test]
    public void SassLoopsWithoutNvdisasmSaysHowToGetIt()
    {
        string? before = Environment.GetEnvironmentVariable("NC_NVDISASM");
        Environment.SetEnvironmentVariable("NC_NVDISASM", "/nonexistent/nvdisasm");
        try
        {
            var r = CliRunner.Run("kernels", "--sass-loops");
            Assert.That(r.ExitCode, Is.EqualTo(1));
            Assert.That(r.Error, Does.Contain("nvdisasm not found").And.Contain("scripts/install-nvdisasm.sh"));
            Assert.That(r.Out, Is.Empty, "nothing compiled or printed before the error");
        }
        finally { Environment.SetEnvironmentVariable("NC_NVDISASM", before); }
    }

    [Test]
    public void CubinDirGetsOneCubinPerFamily()
    {
        Nvrtc.RequireOrIgnore();
        string dir = Path.Combine(Path.GetTempPath(), $"nc-cubins-{Guid.NewGuid():N}");
        try
        {
            var r = CliRunner.Run("kernels", "--arch", "sm_80", "--cubin-dir", dir);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
            var files = Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray();
            Assert.That(files, Is.EqualTo(KernelSource.Families.Select(f => $"{f}.sm_80.cubin").Order().ToArray()));
            Assert.That(CubinText.TextBytes(File.ReadAllBytes(Path.Combine(dir, "conv_mma.sm_80.cubin"))).Keys,
                Does.Contain("conv2d_forward_mma_bf16_kernel"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void CubinTextRejectsWhatIsNotElf64()
    {
        Assert.Throws<FormatException>(() => CubinText.TextBytes(new byte[100]));
        var truncated = new byte[64];
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1 }.CopyTo(truncated, 0);
        BitConverter.GetBytes(1_000_000L).CopyTo(truncated, 0x28);
        Assert.Throws<FormatException>(() => CubinText.TextBytes(truncated));
    }
}
