using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Tests.Data;
using NativeContrastive.Tests.Methods;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// Training checkpoints (safetensors with the run's metadata and configuration) fed mutated files
/// and mutated headers: each reads — metadata, configuration and the encoder's tensors restored —
/// or is a <see cref="CheckpointFormatException"/> naming the file. The seed holds a real run's
/// metadata over a tiny encoder, so the inputs stay small.
/// </summary>
[NonParallelizable]
public class CheckpointFuzzTests
{
    [Test]
    public void TrainingCheckpoints()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "fuzz.safetensors");
        var config = new TrainingConfig { ImageSize = 12, BatchSize = 4, Limit = 8, Out = tmp.Path }.Resolve();
        var backend = Devices.Create("cpu");
        Dictionary<string, string> meta;
        using (var method = RunComponents.CreateMethod(config, 1, 8, backend))
        using (var optimizer = RunComponents.CreateOptimizer(config, method.NamedParameters()))
            meta = TrainingCheckpoint.Metadata(config, method, optimizer, inChannels: 1, epoch: 2, globalStep: 4, stepsPerEpoch: 2);
        var file = new SafeTensorsFile();
        foreach (var (k, v) in meta) file.Metadata[k] = v;
        file.AddFloat32("encoder.weight", [3, 4], Enumerable.Range(0, 12).Select(i => i * 0.25f - 1).ToArray());
        file.AddFloat32("encoder.bias", [3], [0.5f, -0.5f, 0]);
        file.AddFloat32("projector.fc.weight", [2, 3], [1, 2, 3, 4, 5, 6]);
        var seed = file.ToBytes();
        using var encoder = new FlattenLinear(GradCheck.Cpu, 4, 3, 0);

        void Load(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            var c = TrainingCheckpoint.Read(path);
            Assert.That(c.Epoch, Is.GreaterThanOrEqualTo(0));
            Assert.That(c.GlobalStep, Is.GreaterThanOrEqualTo(0));
            Assert.That(c.StepsPerEpoch ?? 1, Is.GreaterThan(0));
            Assert.That(c.InChannels, Is.InRange(1, 3));
            Assert.That(c.ImageSize, Is.GreaterThanOrEqualTo(0));
            Assert.That(c.Arch, Is.Not.Null);
            Assert.That(c.Config.Method, Is.Not.Null);
            c.RestoreEncoder(encoder);
        }

        Load(seed);
        var mutator = new Mutator(51);
        var r = FuzzHarness.Run("training checkpoint", 1500,
            i => (i % 4) switch
            {
                0 => mutator.Bytes(seed),
                1 => SafeTensorsFuzzTests.MutateLength(seed, mutator),
                _ => SafeTensorsFuzzTests.MutateHeader(seed, mutator),
            },
            Load,
            e => e is CheckpointFormatException c && c.FilePath == path,
            bytes => (2 << 20) + 64L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }
}
