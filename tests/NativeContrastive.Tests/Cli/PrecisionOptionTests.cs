using System.Text.Json.Nodes;
using NUnit.Framework;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// <c>--precision fp32|tf32|bf16</c> on every command that runs an encoder (train, profile, knn, eval,
/// linear, embed, search): accepted in any case, an unknown value is a usage error (exit 2) with the
/// message every enumerated flag gives; a training run records the resolved precision in config.json
/// and the checkpoint; --resume keeps the checkpoint's and refuses another; a checkpoint from before
/// precisions existed reads as fp32. Tiny runs: 60 Fashion-MNIST-format images, small encoder, cpu.
/// </summary>
[NonParallelizable]
public class PrecisionOptionTests
{
    private static TempDir data = null!, run = null!;

    private const string Unknown = "--precision: unknown value 'fp16'; expected one of: fp32, tf32, bf16";

    private static string[] Tiny(string output, params string[] more) =>
        ["train", "--method", "simclr", "--data", data.Path, "--out", output, .. more.Contains("--epochs") ? [] : new[] { "--epochs", "1" },
         "--batch-size", "20", "--limit", "60", "--knn-k", "5", "--seed", "4", "--no-online-probe", .. more];

    [OneTimeSetUp]
    public void TrainABf16Run()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 60, testCount: 40);
        run = new TempDir();
        var r = CliRunner.Run(Tiny(run.Path, "--precision", "BF16"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
    }

    [OneTimeTearDown]
    public void Remove()
    {
        data.Dispose();
        run.Dispose();
    }

    private static string Last(string dir) => Path.Combine(dir, "last.safetensors");

    private static string ConfigPrecision(string dir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["precision"]!.GetValue<string>();

    // ---- parsing ----------------------------------------------------------------------------

    /// <summary>Each command with its required options, so that --precision is the only problem.</summary>
    private static readonly object[] Commands =
    [
        new object[] { new[] { "train" } },
        new object[] { new[] { "profile" } },
        new object[] { new[] { "knn", "--checkpoint", "x" } },
        new object[] { new[] { "eval", "--checkpoint", "x" } },
        new object[] { new[] { "linear", "--checkpoint", "x" } },
        new object[] { new[] { "embed", "--checkpoint", "x", "--out", "y.safetensors" } },
        new object[] { new[] { "search", "--index", "x", "--query", "q.png" } },
    ];

    [TestCaseSource(nameof(Commands))]
    public void AnUnknownValueIsAUsageErrorOnEveryCommand(string[] command)
    {
        var r = CliRunner.Run([.. command, "--precision", "fp16"]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith($"nc: error: {Unknown} (see nc {command[0]} --help)"));
        Assert.That(r.Out, Is.Empty);
    }

    [TestCaseSource(nameof(Commands))]
    public void EveryCommandThatTakesADeviceTakesAPrecision(string[] command)
    {
        var r = CliRunner.Run(command[0], "--help");
        Assert.That(r.Out, Does.Contain("--device").And.Contain("--precision <bf16|fp32|tf32>").And.Contain("tf32 on cuda, fp32 on cpu and emu"));
    }

    [Test]
    public void EveryEnumeratedFlagGivesTheSameMessage()
    {
        var r = CliRunner.Run("train", "--arch", "vgg");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: --arch: unknown value 'vgg'; expected one of: "));
        r = CliRunner.Run("knn", "--checkpoint", "x", "--device", "tpu");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: --device: unknown value 'tpu'; expected one of: cpu, cuda, emu (see nc knn --help)"));
        r = CliRunner.Run("train", "--device", "CPU");
        Assert.That(r.ExitCode, Is.EqualTo(2), "other choices stay case-sensitive");
    }

    // ---- training records it ----------------------------------------------------------------

    [Test]
    public void ATinyCpuRunWithBf16RecordsBf16()
    {
        Assert.That(ConfigPrecision(run.Path), Is.EqualTo("bf16"));
        var ckpt = TrainingCheckpoint.Read(Last(run.Path));
        Assert.That(ckpt.Meta[TrainingCheckpoint.PrecisionKey], Is.EqualTo("bf16"));
        Assert.That(ckpt.Precision, Is.EqualTo(Precision.Bf16));
        Assert.That(ckpt.Config.Precision, Is.EqualTo("bf16"));
        Assert.That(Engine.Backends.Cpu.CpuBackend.Instance.Precision, Is.EqualTo(Precision.Fp32), "the run restores the backend's precision");
    }

    [Test]
    public void WithoutTheFlagCpuRecordsItsDefaultAndTheConfigKeyIsRead()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run(Tiny(dir.Sub("default"), "--epochs", "0"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(ConfigPrecision(dir.Sub("default")), Is.EqualTo("fp32"));
        Assert.That(TrainingCheckpoint.Read(Last(dir.Sub("default"))).Precision, Is.EqualTo(Precision.Fp32));

        string yaml = Path.Combine(dir.Path, "run.yaml");
        File.WriteAllText(yaml, "precision: tf32\n");
        r = CliRunner.Run([.. Tiny(dir.Sub("yaml"), "--epochs", "0"), "--config", yaml]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(ConfigPrecision(dir.Sub("yaml")), Is.EqualTo("tf32"));
        Assert.That(TrainingCheckpoint.Read(Last(dir.Sub("yaml"))).Meta[TrainingCheckpoint.PrecisionKey], Is.EqualTo("tf32"));

        File.WriteAllText(yaml, "precision: fp16\n");
        r = CliRunner.Run([.. Tiny(dir.Sub("bad"), "--epochs", "0"), "--config", yaml]);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith($"nc: error: {Unknown}"));
    }

    // ---- resume -----------------------------------------------------------------------------

    [Test]
    public void ResumeWithAnotherPrecisionIsRefusedNamingBothAndTheCheckpoint()
    {
        var r = CliRunner.Run("train", "--resume", run.Path, "--epochs", "2", "--precision", "fp32");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith($"nc: error: {Last(run.Path)}: ")
            .And.Contain("trained with --precision bf16").And.Contain("resuming it with --precision fp32 is refused"));
        Assert.That(TrainingCheckpoint.Read(Last(run.Path)).Epoch, Is.EqualTo(1), "nothing trained");
    }

    [Test]
    public void ResumeWithoutThePrecisionTakesTheCheckpointsAndTheSameOneIsAccepted()
    {
        using var dir = new TempDir();
        foreach (var f in Directory.GetFiles(run.Path)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        var r = CliRunner.Run("train", "--resume", dir.Path, "--epochs", "2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var ckpt = TrainingCheckpoint.Read(Last(dir.Path));
        Assert.That(ckpt.Epoch, Is.EqualTo(2));
        Assert.That(ckpt.Precision, Is.EqualTo(Precision.Bf16));
        Assert.That(ConfigPrecision(dir.Path), Is.EqualTo("bf16"));

        r = CliRunner.Run("train", "--resume", dir.Path, "--epochs", "2", "--precision", "bf16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
    }

    [Test]
    public void ACheckpointWithoutAPrecisionIsAnFp32Run()
    {
        using var dir = new TempDir();
        var file = SafeTensorsFile.Read(Last(run.Path));
        file.Metadata.Remove(TrainingCheckpoint.PrecisionKey);
        var config = JsonNode.Parse(file.Metadata["config"])!.AsObject();
        config.Remove("precision");
        file.Metadata["config"] = config.ToJsonString();
        string old = Path.Combine(dir.Path, "last.safetensors");
        file.Write(old);

        var ckpt = TrainingCheckpoint.Read(old);
        Assert.That(ckpt.Precision, Is.EqualTo(Precision.Fp32));
        Assert.That(ckpt.Config.Precision, Is.EqualTo("fp32"));

        var r = CliRunner.Run("train", "--resume", old, "--epochs", "2", "--precision", "bf16");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.Contain(old).And.Contain("trained with --precision fp32").And.Contain("--precision bf16 is refused"));
    }

    // ---- evaluation and profiling run with it ------------------------------------------------

    [Test]
    public void KnnEvalAndLinearRunAtTheRequestedPrecision()
    {
        var r = CliRunner.Run("knn", "--checkpoint", run.Path, "--k", "5", "--precision", "tf32");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.Out, Does.StartWith("knn k=5"));

        using var dir = new TempDir();
        r = CliRunner.Run("eval", "--checkpoint", run.Path, "--k", "5", "--tsne-samples", "0", "--out", dir.Sub("eval"), "--precision", "bf16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);

        r = CliRunner.Run("linear", "--checkpoint", run.Path, "--epochs", "1", "--out", dir.Sub("linear"), "--precision", "Bf16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(ConfigPrecision(dir.Sub("linear")), Is.EqualTo("bf16"), "the probe's config.json records the precision of its features");
        r = CliRunner.Run("linear", "--checkpoint", run.Path, "--epochs", "1", "--out", dir.Sub("linear-default"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(ConfigPrecision(dir.Sub("linear-default")), Is.EqualTo("fp32"), "cpu's default, whatever the run trained with");
        Assert.That(Engine.Backends.Cpu.CpuBackend.Instance.Precision, Is.EqualTo(Precision.Fp32), "restored after each command");
    }

    [Test]
    public void EmbedAndSearchRunAtTheRequestedPrecision()
    {
        using var dir = new TempDir();
        string index = Path.Combine(dir.Path, "index.safetensors");
        var r = CliRunner.Run("embed", "--checkpoint", run.Path, "--data", data.Path, "--out", index, "--precision", "bf16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.ErrorLines[0], Does.Contain("on cpu (bf16): 40 images"));

        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test);
        EmbedSearchExportCommandTests.WritePng(Path.Combine(dir.Sub("q"), "q3.png"), test, 3);
        r = CliRunner.Run("search", "--index", index, "--query", dir.Sub("q"), "-k", "2", "--no-sheet", "--precision", "tf32");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);

        var encoder = Engine.Api.Encoder.Load(run.Path, "cpu", "BF16");
        try
        {
            Assert.That(encoder.Precision, Is.EqualTo("bf16"));
            Assert.That(Engine.Backends.Cpu.CpuBackend.Instance.Precision, Is.EqualTo(Precision.Bf16), "while the encoder is loaded");
        }
        finally
        {
            encoder.Dispose();
        }
        Assert.That(Engine.Backends.Cpu.CpuBackend.Instance.Precision, Is.EqualTo(Precision.Fp32));
        Assert.That(() => Engine.Api.Encoder.Load(run.Path, "cpu", "fp16"), Throws.ArgumentException.With.Message.Contains("unknown value 'fp16'"));
    }

    [Test]
    public void ProfilePrintsThePrecisionAndWritesItsColumn()
    {
        using var dir = new TempDir();
        string csv = Path.Combine(dir.Path, "p.csv");
        var r = CliRunner.Run("profile", "--device", "cpu", "--data", data.Path, "--limit", "20", "--batch-size", "10", "--steps", "1", "--warmup", "0",
            "--precision", "bf16", "--out", csv);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.OutLines[0], Does.EndWith(", precision bf16"));
        var lines = File.ReadAllLines(csv);
        Assert.That(lines[0], Does.EndWith(",gflop_per_s,precision,flops_on"));
        Assert.That(lines.Skip(1), Is.Not.Empty.And.All.EndWith(",bf16,fp32"), "the run's precision; the cpu's FLOPs run on fp32 lanes");
    }
}
