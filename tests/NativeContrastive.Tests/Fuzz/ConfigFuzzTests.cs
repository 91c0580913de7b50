using System.Text;
using NativeContrastive.Engine.Training.Configuration;
using NUnit.Framework;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// Configuration files — a run's config.json (System.Text.Json) and the YAML of `nc train --config`
/// (YamlDotNet) — fed mutated text: each gives a resolved configuration or an ArgumentException
/// (the configuration error the CLI reports as one line) — never a NullReferenceException, a
/// parser's own exception type or a hang on aliases and deep nesting.
/// </summary>
[NonParallelizable]
public class ConfigFuzzTests
{
    /// <summary>ArgumentException itself: its subclasses (ArgumentNullException, ArgumentOutOfRangeException) come from bugs, not from checks.</summary>
    private static bool IsConfigError(Exception e) => e.GetType() == typeof(ArgumentException);

    public const string Yaml = """
        # a run of NPID
        method: npid
        dataset: fashion-mnist
        data_path: /tmp/nowhere
        epochs: 2
        batch_size: 64
        lr: 0.03
        schedule: multistep
        milestones: [1, 2]
        limit: 0
        seed: 7
        online_probe: false
        method_options:
          negatives: 64
          temperature: 0.07
        """;

    [Test]
    public void ConfigJson()
    {
        var seed = new TrainingConfig { Method = "swav", Epochs = 2, Milestones = [1], Limit = 100 }.Resolve().ToJson();
        Assert.That(TrainingConfig.FromJson(seed, "config.json").Resolve().Method, Is.EqualTo("swav"));
        var mutator = new Mutator(61);
        var r = FuzzHarness.Run("config.json", 5000,
            _ => mutator.TextBytes(seed),
            bytes => TrainingConfig.FromJson(Encoding.UTF8.GetString(bytes), "config.json").Resolve(),
            IsConfigError,
            bytes => (4 << 20) + 256L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }

    [Test]
    public void YamlConfig()
    {
        Assert.That(ConfigFile.Apply(new TrainingConfig(), Yaml, "fuzz.yaml").Resolve().MethodOptions["negatives"], Is.EqualTo("64"));
        var mutator = new Mutator(62);
        var r = FuzzHarness.Run("yaml config", 5000,
            _ => mutator.TextBytes(Yaml),
            bytes => ConfigFile.Apply(new TrainingConfig(), Encoding.UTF8.GetString(bytes), "fuzz.yaml").Resolve(),
            IsConfigError,
            bytes => (4 << 20) + 256L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }
}
