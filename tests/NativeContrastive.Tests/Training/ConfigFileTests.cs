using NUnit.Framework;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>YAML / JSON configuration files (ConfigFile): the examples in configs/, round trips of config.json, conversions and every error naming file, line and key.</summary>
public class ConfigFileTests
{
    public static string RepoRoot => Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", ".."));

    public static IEnumerable<TestCaseData> ExampleConfigs() =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot, "configs"))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new TestCaseData(f).SetName($"EveryExampleConfigParsesAndResolves({Path.GetFileName(f)})"));

    [TestCaseSource(nameof(ExampleConfigs))]
    public void EveryExampleConfigParsesAndResolves(string path)
    {
        var config = ConfigFile.Load(path).Resolve();
        Assert.That(Path.GetFileNameWithoutExtension(path), Does.StartWith(config.Method), "files are named after their method");
        // Every key the file names is a key of config.json, and every method option is the method's own.
        Assert.That(config.MethodOptions.Keys, Is.EquivalentTo(config.MethodDefinition.Options.Select(o => o.Name)));
    }

    [Test]
    public void EveryRegisteredMethodHasAnExampleOrIsListedAsPending()
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoRoot, "configs"), "*.yaml").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        string readme = File.ReadAllText(Path.Combine(RepoRoot, "configs", "README.md"));
        foreach (var m in MethodRegistry.Names)
            Assert.That(files.Contains(m) || readme.Contains(m), $"configs/{m}.yaml (or a note in configs/README.md)");
    }

    [Test]
    public void ARunsConfigJsonLoadsBackEqual()
    {
        using var dir = new TempDir();
        var config = new TrainingConfig
        {
            Method = "npid", Epochs = 7, BatchSize = 64, Limit = null, EvalLimit = 100, Milestones = [3, 5], Schedule = "multistep",
            Seed = 12345678901234UL, CropScaleMin = 0.3f, Out = "runs/a b", DataPath = "/data/x",
        }.WithMethodOption("negatives", "17").WithMethodOption("full-softmax", "true").Resolve();
        string path = Path.Combine(dir.Path, "config.json");
        config.Save(path);
        Assert.That(ConfigFile.Load(path), Is.EqualTo(config));
        Assert.That(ConfigFile.Load(path).Resolve(), Is.EqualTo(config));
    }

    private static TrainingConfig Yaml(string text, TrainingConfig? over = null) => ConfigFile.Apply(over ?? new TrainingConfig(), text, "run.yaml");

    [Test]
    public void ConvertsEachKindOfValue()
    {
        var c = Yaml("""
            method: npid
            epochs: 4
            lr: 3e-4
            weight_decay: 0.0005
            seed: 18446744073709551615
            milestones: [2, 3]
            limit: 0            # 0 means all, as --limit 0
            image_size: ~
            out: 'runs/quoted: yes'
            method_options:
              full-softmax: true
              negatives: 9
            """);
        Assert.That(c.Method, Is.EqualTo("npid"));
        Assert.That(c.Epochs, Is.EqualTo(4));
        Assert.That(c.Lr, Is.EqualTo(3e-4f));
        Assert.That(c.WeightDecay, Is.EqualTo(5e-4f));
        Assert.That(c.Seed, Is.EqualTo(ulong.MaxValue));
        Assert.That(c.Milestones, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(c.Limit, Is.Null);
        Assert.That(c.ImageSize, Is.Null);
        Assert.That(c.Out, Is.EqualTo("runs/quoted: yes"));
        Assert.That(c.MethodOptions, Is.EqualTo(new SortedDictionary<string, string> { ["full-softmax"] = "true", ["negatives"] = "9" }));
        Assert.That(Yaml("milestones: 30 60").Milestones, Is.EqualTo(new[] { 30, 60 }));
        Assert.That(Yaml("eval_limit: 0").EvalLimit, Is.Null);
        Assert.That(Yaml("data_path: 'null'").DataPath, Is.EqualTo("null"), "a quoted null is text");
    }

    [Test]
    public void OnlyTheKeysGivenChangeTheBase()
    {
        var baseConfig = new TrainingConfig { Method = "npid", Epochs = 9, Seed = 4 }.WithMethodOption("negatives", "11");
        var c = Yaml("epochs: 2\nmethod_options:\n  embed-dim: 32\n", baseConfig);
        Assert.That(c.Epochs, Is.EqualTo(2));
        Assert.That(c.Seed, Is.EqualTo(4UL));
        Assert.That(c.Method, Is.EqualTo("npid"));
        Assert.That(c.MethodOptions, Is.EqualTo(new SortedDictionary<string, string> { ["negatives"] = "11", ["embed-dim"] = "32" }), "method options merge");
    }

    [TestCase("epoch: 3\n", "run.yaml:1: unknown key 'epoch'; expected one of: arch, batch_size")]
    [TestCase("seed: 1\nbatchsize: 3\n", "run.yaml:2: unknown key 'batchsize'")]
    [TestCase("method_options:\n  temprature: 0.5\n", "run.yaml:2: unknown key 'method_options.temprature'; no method declares it")]
    [TestCase("method_options:\n  negatives: -3\n", "run.yaml:2: key 'method_options.negatives' must be ≥ 1, got -3.")]
    [TestCase("epochs: three\n", "run.yaml:1: key 'epochs': expected an integer, got 'three'.")]
    [TestCase("lr: fast\n", "run.yaml:1: key 'lr': expected a number, got 'fast'.")]
    [TestCase("epochs:\n", "run.yaml:1: key 'epochs' needs a value.")]
    [TestCase("milestones: [1, x]\n", "run.yaml:1: key 'milestones': expected an integer, got 'x'.")]
    [TestCase("method: [simclr]\n", "run.yaml:1: expected a value for 'method', found a list.")]
    [TestCase("method_options: 3\n", "run.yaml:1: key 'method_options' expects a mapping")]
    [TestCase("- epochs\n", "run.yaml:1: expected a mapping of option names to values at the top.")]
    [TestCase("epochs: [1\n", "run.yaml:")]
    [TestCase("epochs: 1\nepochs: 2\n", "run.yaml:")]
    [TestCase("# only a comment\n", "run.yaml: the configuration file is empty.")]
    public void ErrorsNameTheFileLineAndKey(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Yaml(text))!;
        Assert.That(e.Message, Does.StartWith(message));
    }

    [Test]
    public void MissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => ConfigFile.Load("/nonexistent/run.yaml"));

    [Test]
    public void ValuesOutOfRangeAreCaughtWhenResolving()
    {
        var c = Yaml("batch_size: 1\n");
        var e = Assert.Throws<ArgumentException>(() => c.Resolve())!;
        Assert.That(e.Message, Does.StartWith("--batch-size must be ≥ 2"));
    }
}
