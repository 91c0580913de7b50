using NUnit.Framework;
using NativeContrastive.Cli.Commands;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Cli;

/// <summary>`nc train --config FILE`: every flag has a key, flags override the file, a run's config.json repeats the run, errors are one line.</summary>
[NonParallelizable]
public class ConfigOptionTests
{
    [Test]
    public void EveryTrainFlagHasAConfigKey()
    {
        var methodOptions = MethodRegistry.OptionNames.Select(o => "--" + o.Name).ToHashSet();
        foreach (var b in TrainCommand.ConfigBindings())
        {
            string flag = b.Option.Name;
            if (methodOptions.Contains(flag)) continue;   // under method_options
            // --no-X switches the boolean key x off (--no-online-probe → online_probe: false).
            string key = flag == "--data" ? "data_path" : (flag.StartsWith("--no-", StringComparison.Ordinal) ? flag[5..] : flag[2..]).Replace('-', '_');
            Assert.That(ConfigFile.Keys.ContainsKey(key), $"{flag} → {key}");
        }
        Assert.That(ConfigFile.Keys.ContainsKey("resume"));
        Assert.That(ConfigFile.Keys.ContainsKey(ConfigFile.MethodOptionsKey));
    }

    [Test]
    public void FlagsOverrideTheFileAndConfigJsonRepeatsTheRun()
    {
        using var data = new TempDir();
        using var runs = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 40, testCount: 10);
        string yaml = Path.Combine(runs.Path, "run.yaml");
        File.WriteAllText(yaml, $"""
            method: npid
            data_path: {data.Path}
            epochs: 5            # the flag below wins
            batch_size: 20
            limit: 40
            image_size: 12
            knn_k: 3
            seed: 9
            method_options:
              negatives: 7
            out: {Path.Combine(runs.Path, "a")}
            """);
        var a = CliRunner.Run("train", "--config", yaml, "--epochs", "1");
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Error);
        var written = TrainingConfig.Load(Path.Combine(runs.Path, "a", "config.json"));
        Assert.That(written.Epochs, Is.EqualTo(1), "flag over file");
        Assert.That((written.Method, written.BatchSize, written.Seed, written.MethodOptions["negatives"]), Is.EqualTo(("npid", 20, 9UL, "7")), "file over defaults");

        // The run folder's config.json, with another --out, trains the same run again.
        var b = CliRunner.Run("train", "--config", Path.Combine(runs.Path, "a", "config.json"), "--out", Path.Combine(runs.Path, "b"));
        Assert.That(b.ExitCode, Is.EqualTo(0), b.Error);
        Assert.That(File.ReadAllLines(Path.Combine(runs.Path, "b", "steps.csv")), Is.EqualTo(File.ReadAllLines(Path.Combine(runs.Path, "a", "steps.csv"))));
        Assert.That(TrainingConfig.Load(Path.Combine(runs.Path, "b", "config.json")) with { Out = written.Out }, Is.EqualTo(written));
    }

    [Test]
    public void UnknownKeyIsOneErrorLineNamingFileAndKey()
    {
        using var dir = new TempDir();
        string yaml = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(yaml, "method: simclr\nepoch: 3\n");
        var r = CliRunner.Run("train", "--config", yaml);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith($"nc: error: {yaml}:2: unknown key 'epoch'; expected one of: "));
        var missing = CliRunner.Run("train", "--config", Path.Combine(dir.Path, "none.yaml"));
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.ErrorLines[0], Does.Contain("none.yaml: configuration file not found"));
    }

    [Test]
    public void ProfileTakesAConfigFileToo()
    {
        using var dir = new TempDir();
        string yaml = Path.Combine(dir.Path, "p.yaml");
        File.WriteAllText(yaml, "batch_size: 4\nlimit: 8\nimage_size: 8\n");
        var r = CliRunner.Run("profile", "--config", yaml, "--steps", "1", "--warmup", "0");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.Out, Does.Contain("batch 4"));
    }
}
