using System.Globalization;
using System.Text.RegularExpressions;
using NativeContrastive.Cli;
using NativeContrastive.Cli.Profile;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// `nc profile --device cpu` in-process on a written 16-image Fashion-MNIST: the summary lines,
/// the plain table (redirected output) sorted by total time with the model's call counts, the
/// kernel-vs-wall line and the CSV (same rows, written atomically); flag errors are one line
/// with exit 2, a missing data directory one line with exit 1.
/// </summary>
[NonParallelizable]
public class ProfileCommandTests
{
    private TempDir dir = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        dir = new TempDir();
        DatasetWriters.FashionMnist(dir.Sub("data"), trainCount: 16, testCount: 4);
    }

    [OneTimeTearDown]
    public void DeleteData() => dir.Dispose();

    private string[] Tiny(params string[] more) =>
        ["profile", "--device", "cpu", "--dataset", "fashion-mnist", "--data", Path.Combine(dir.Path, "data"), "--arch", "small",
         "--batch-size", "4", "--limit", "16", .. more];

    [Test]
    public void PrintsTheTableAndWritesTheCsv()
    {
        string csv = Path.Combine(dir.Sub("out"), "profile.csv");
        var r = CliRunner.Run(Tiny("--steps", "2", "--warmup", "1", "--out", csv));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.Error, Is.Empty);
        var lines = r.OutLines;
        Assert.That(lines[0], Does.StartWith("profile: simclr small fashion-mnist (16 images, 1×28×28, "));
        Assert.That(lines[1], Is.EqualTo("device: cpu, times by wall clock; 2 measured steps after 1 warm-up"));
        Assert.That(lines[2], Does.Match(@"^speed: [\d.]+ steps/s, [\d.]+ images/s, [\d.]+ ms per step, last loss [\d.]+$"));

        int header = Array.FindIndex(lines, l => l.StartsWith("primitive ", StringComparison.Ordinal));
        Assert.That(header, Is.GreaterThan(0), r.Out);
        Assert.That(lines[header], Does.Match(@"^primitive\s+calls\s+total ms\s+mean µs\s+% step\s+GB/s\s+GFLOP/s$"));
        Assert.That(lines[header + 1], Does.Match(@"^-+(  -+){6}$"));
        var rows = lines.Skip(header + 2).TakeWhile(l => !l.StartsWith("primitive time:", StringComparison.Ordinal))
            .Select(l => Regex.Split(l.Trim(), @"\s{2,}")).ToArray();
        var byName = rows.Where(c => !c[0].StartsWith('▸')).ToDictionary(c => c[0], c => c[1..]);
        Assert.That(byName["Conv2dForward"][0], Is.EqualTo("8"), "small encoder: 4 convolutions × 2 steps");
        Assert.That(byName["BatchNormForwardTraining"][0], Is.EqualTo("10"), "4 BN + the head's BN1d, × 2 steps");
        Assert.That(byName["Conv2dForward"], Has.Length.EqualTo(6), "calls, ms, µs, %, GB/s and GFLOP/s are all declared for a convolution");
        Assert.That(byName.Values.Select(c => double.Parse(c[1], CultureInfo.InvariantCulture)), Is.Ordered.Descending);
        int conv = Array.FindIndex(rows, c => c[0] == "Conv2dForward");
        Assert.That(rows[conv + 1][0], Does.StartWith("▸ "), "the parts of a convolution follow it");
        Assert.That(rows.Where(c => c[0].StartsWith('▸')).Select(c => c[0]), Is.SupersetOf(new[] { "▸ gemm", "▸ im2col", "▸ col2im" }));
        Assert.That(lines.Single(l => l.StartsWith("primitive time:", StringComparison.Ordinal)),
            Does.Match(@"^primitive time: [\d.]+ ms of [\d.]+ ms wall \([\d.]+%\), \d+ calls; outside primitives: [\d.]+ ms \([\d.]+%\)"));
        Assert.That(lines, Has.None.StartWith("memory:"), "the cpu has no device memory pool to report");
        Assert.That(lines[^1], Is.EqualTo($"csv: {csv}"));

        var csvLines = File.ReadAllLines(csv);
        Assert.That(csvLines[0], Is.EqualTo("name,kind,nested,calls,total_ms,mean_us,step_percent,bytes,gb_per_s,flops,gflop_per_s,precision,flops_on"));
        Assert.That(csvLines.Skip(1).Select(l => l.Split(',')[0].Split(" ▸ ")[^1]), Is.EqualTo(rows.Select(c => c[0].TrimStart('▸', ' '))),
            "the same rows in the same order");
        Assert.That(csvLines, Has.Some.StartWith("Conv2dForward ▸ gemm,primitive,1,"), "full names of nested rows");
        var convCsv = csvLines.Single(l => l.StartsWith("Conv2dForward,", StringComparison.Ordinal)).Split(',');
        Assert.That(convCsv[1..4], Is.EqualTo(new[] { "primitive", "0", "8" }));
        Assert.That(double.Parse(convCsv[9], CultureInfo.InvariantCulture), Is.GreaterThan(0), "flops");
        Assert.That(convCsv[^1], Is.EqualTo("fp32"), "the cpu runs its FLOPs on fp32 lanes");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(csv)!), Is.EqualTo(new[] { csv }), "no temporary file left behind");
    }

    [Test]
    public void OnATerminalTheRunSaysWhatItDoesFirst()
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        int code = NcProgram.Run(Tiny("--steps", "1", "--warmup", "0"), new CliContext(o, e, IsTerminal: true, CancellationToken.None));
        Assert.That(code, Is.EqualTo(0), e.ToString());
        var lines = o.ToString().Split('\n');
        Assert.That(lines[0], Is.EqualTo("profiling 0 warm-up + 1 measured steps on cpu …"));
        var row = lines.Single(l => Regex.IsMatch(l, @"^\s*Conv2dForward\s"));
        Assert.That(Regex.Split(row.Trim(), @"\s+")[1], Is.EqualTo("4"), "calls");
        Assert.That(lines, Has.Some.StartWith("primitive time: "));
    }

    [Test]
    public void TerminalTableIsSpectresWhenItFitsAndPlainWhenNot()
    {
        var table = new ProfileTable(["primitive", "calls", "total ms", "mean µs", "% step", "GB/s", "GFLOP/s"],
            [["Conv2dForward", "4", "12.50", "3125.0", "50.0", "0.2", "30.1"], ["  ▸ gemm", "15", "8.00", "533.3", "32.0", "", ""]]);
        var wide = new StringWriter();
        TerminalTable.Write(table, wide, width: 120);
        Assert.That(wide.ToString(), Does.Contain("───").And.Match(@"Conv2dForward\s+4\s+12\.50\s+3125\.0\s+50\.0\s+0\.2\s+30\.1"));
        var narrow = new StringWriter();
        TerminalTable.Write(table, narrow, width: 60);
        var plain = new StringWriter();
        PlainTable.Write(table, plain);
        Assert.That(narrow.ToString(), Is.EqualTo(plain.ToString()), "no cropped or wrapped cells on a narrow terminal");
    }

    [TestCase("--steps", "0")]
    [TestCase("--warmup", "-1")]
    [TestCase("--steps", "many")]
    [TestCase("--epochs", "3")]
    [TestCase("--steps", "2", "--steps", "3")]
    public void BadFlagsAreOneUsageErrorLine(params string[] flags)
    {
        var r = CliRunner.Run(["profile", .. flags]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain(flags[0]));
        Assert.That(r.Out, Is.Empty);
    }

    [Test]
    public void MissingDataIsOneUserErrorLine()
    {
        var r = CliRunner.Run("profile", "--device", "cpu", "--data", Path.Combine(dir.Path, "nowhere"), "--steps", "1");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain("nowhere"));
    }

    [Test]
    public void HelpListsTheTrainingFlagsAndItsOwn()
    {
        var r = CliRunner.Run("profile", "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        foreach (var flag in new[] { "--method", "--arch", "--batch-size", "--device", "--dataset", "--lr", "--steps", "--warmup", "--out" })
            Assert.That(r.Out, Does.Contain(flag));
        Assert.That(r.Out, Does.Contain("[default: 10]").And.Contain("[default: 2]"));
        foreach (var flag in new[] { "--epochs", "--eval-every", "--knn-k", "--resume" })
            Assert.That(r.Out, Does.Not.Contain(flag));
    }
}
