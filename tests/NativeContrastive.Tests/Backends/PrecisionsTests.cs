using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// <see cref="Precisions"/>: names (any case in, lower case out), the per-device default (tf32 on cuda,
/// fp32 on cpu and emu), the scope that sets and restores a backend's precision, and the configuration's
/// <c>precision</c> key (null = the device's default, filled in by Resolve; absent in an old config.json = fp32).
/// </summary>
[NonParallelizable]   // Use() changes the shared cpu backend's precision
public class PrecisionsTests
{
    [TestCase("fp32", Precision.Fp32)]
    [TestCase("tf32", Precision.Tf32)]
    [TestCase("bf16", Precision.Bf16)]
    [TestCase("BF16", Precision.Bf16)]
    [TestCase(" Tf32 ", Precision.Tf32)]
    public void ParsesNamesInAnyCase(string name, Precision expected)
    {
        Assert.That(Precisions.TryParse(name, out var p), Is.True);
        Assert.That(p, Is.EqualTo(expected));
        Assert.That(Precisions.Parse(name), Is.EqualTo(expected));
    }

    [TestCase("fp16")]
    [TestCase("")]
    [TestCase(null)]
    [TestCase("fp 32")]
    public void RejectsOtherNames(string? name)
    {
        Assert.That(Precisions.TryParse(name, out _), Is.False);
        if (name is not null)
            Assert.That(() => Precisions.Parse(name), Throws.ArgumentException.With.Message.EqualTo($"--precision: unknown value '{name}'; expected one of: fp32, tf32, bf16."));
    }

    [Test]
    public void FormatsEveryPrecisionAndRoundTrips()
    {
        Assert.That(Enum.GetValues<Precision>().Select(Precisions.Format), Is.EqualTo(Precisions.Names));
        foreach (var p in Enum.GetValues<Precision>()) Assert.That(Precisions.Parse(Precisions.Format(p)), Is.EqualTo(p));
    }

    [TestCase("cuda", Precision.Tf32)]
    [TestCase("cpu", Precision.Fp32)]
    [TestCase("emu", Precision.Fp32)]
    public void DeviceDefaults(string device, Precision expected)
    {
        Assert.That(Precisions.DefaultFor(device), Is.EqualTo(expected));
        Assert.That(Precisions.Resolve(null, device), Is.EqualTo(expected));
        Assert.That(Precisions.Resolve("bf16", device), Is.EqualTo(Precision.Bf16), "a named precision wins over the default");
    }

    [Test]
    public void UseSetsThePrecisionForAScopeAndRestoresIt()
    {
        var backend = Engine.Backends.Cpu.CpuBackend.Instance;
        var before = backend.Precision;
        using (Precisions.Use(backend, Precision.Bf16))
        {
            Assert.That(backend.Precision, Is.EqualTo(Precision.Bf16));
            var inner = Precisions.Use(backend, Precision.Tf32);
            Assert.That(backend.Precision, Is.EqualTo(Precision.Tf32));
            inner.Dispose();
            inner.Dispose();   // a second dispose changes nothing
            Assert.That(backend.Precision, Is.EqualTo(Precision.Bf16));
        }
        Assert.That(backend.Precision, Is.EqualTo(before));
    }

    [Test]
    public void ConfigurationResolvesThePrecision()
    {
        Assert.That(new TrainingConfig().Precision, Is.Null, "null: the device's default");
        Assert.That(new TrainingConfig().Resolve().Precision, Is.EqualTo("fp32"));
        Assert.That(new TrainingConfig { Device = "cuda" }.Resolve().Precision, Is.EqualTo("tf32"), "Resolve does not open the device");
        Assert.That(new TrainingConfig { Device = "cuda", Precision = "FP32" }.Resolve().Precision, Is.EqualTo("fp32"));
        Assert.That(new TrainingConfig { Precision = "Bf16" }.Resolve().PrecisionValue, Is.EqualTo(Precision.Bf16));
        Assert.That(() => new TrainingConfig { Precision = "fp16" }.Resolve(),
            Throws.ArgumentException.With.Message.EqualTo("--precision: unknown value 'fp16'; expected one of: fp32, tf32, bf16."));
    }

    [Test]
    public void ConfigJsonRecordsThePrecisionAndAnOldOneReadsAsFp32()
    {
        var resolved = new TrainingConfig { Precision = "bf16" }.Resolve();
        Assert.That(resolved.ToJson(), Does.Contain("\"precision\": \"bf16\""));
        Assert.That(TrainingConfig.FromJson(resolved.ToJson()).Precision, Is.EqualTo("bf16"));
        var old = System.Text.Json.Nodes.JsonNode.Parse(new TrainingConfig { Device = "cuda" }.Resolve().ToJson())!.AsObject();
        old.Remove("precision");
        Assert.That(TrainingConfig.FromJson(old.ToJsonString()).Precision, Is.EqualTo("fp32"), "a run from before --precision ran fp32, even on cuda");
    }

    [Test]
    public void ConfigFileKey()
    {
        Assert.That(ConfigFile.Keys, Does.ContainKey("precision"));
        Assert.That(ConfigFile.Apply(new TrainingConfig(), "precision: tf32\n", "run.yaml").Resolve().Precision, Is.EqualTo("tf32"));
        Assert.That(ConfigFile.Apply(new TrainingConfig { Precision = "bf16" }, "precision: null\n", "run.yaml").Precision, Is.Null);
        Assert.That(ConfigFile.Apply(new TrainingConfig(), "device: cuda\nprecision: null\n", "run.yaml").Resolve().Precision, Is.EqualTo("tf32"));
        Assert.That(() => ConfigFile.Apply(new TrainingConfig(), "precision: fp16\n", "run.yaml").Resolve(),
            Throws.ArgumentException.With.Message.Contains("--precision: unknown value 'fp16'; expected one of: fp32, tf32, bf16"));
    }

    [Test]
    public void EveryExampleConfigurationLeavesThePrecisionToTheDevice()
    {
        string dir = Path.Combine(NativeContrastive.Tests.Training.ConfigFileTests.RepoRoot, "configs");
        var files = Directory.GetFiles(dir, "*.yaml");
        Assert.That(files, Is.Not.Empty);
        foreach (var f in files)
        {
            Assert.That(File.ReadAllText(f), Does.Contain("precision: null"), f);
            Assert.That(ConfigFile.Load(f).Precision, Is.Null, f);
        }
    }
}
