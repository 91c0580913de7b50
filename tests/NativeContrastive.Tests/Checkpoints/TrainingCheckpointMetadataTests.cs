using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Tests.Data;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Checkpoints;

/// <summary>
/// The numbers in a training checkpoint's metadata are checked when it is read: one out of range
/// (epoch −5) or not a number is a <see cref="CheckpointFormatException"/> naming the file, the
/// field, the expected range and the found value.
/// </summary>
public class TrainingCheckpointMetadataTests
{
    /// <summary>A real SimCLR checkpoint (small encoder, Fashion-MNIST) with <paramref name="edit"/> applied to its metadata.</summary>
    public static string WriteCheckpoint(string dir, Action<Dictionary<string, string>>? edit = null, string method = "simclr")
    {
        var config = new TrainingConfig { Method = method, ImageSize = 12, BatchSize = 4, Limit = 8, Out = dir }.Resolve();
        var backend = Devices.Create("cpu");
        using var m = RunComponents.CreateMethod(config, 1, 8, backend);
        using var optimizer = RunComponents.CreateOptimizer(config, m.NamedParameters());
        var meta = TrainingCheckpoint.Metadata(config, m, optimizer, inChannels: 1, epoch: 2, globalStep: 4, stepsPerEpoch: 2);
        edit?.Invoke(meta);
        string path = Path.Combine(dir, "epoch-2.safetensors");
        TrainingCheckpoint.Write(path, m, optimizer, meta);
        return path;
    }

    [Test]
    public void AValidCheckpointReads()
    {
        using var tmp = new TempDir();
        var c = TrainingCheckpoint.Read(WriteCheckpoint(tmp.Path));
        Assert.That((c.Epoch, c.GlobalStep, c.StepsPerEpoch, c.InChannels, c.ImageSize), Is.EqualTo((2, 4L, (int?)2, 1, 12)));
    }

    [TestCase("epoch", "-5", "0..")]
    [TestCase("epoch", "three", "0..")]
    [TestCase("epoch", "99999999999", "0..")]
    [TestCase("global_step", "-1", "0..")]
    [TestCase("steps_per_epoch", "0", "1..")]
    [TestCase("in_channels", "0", "1..")]
    [TestCase("image_size", "-2", "0..")]
    [TestCase("optimizer_step_count", "-7", "0..")]
    public void AFieldOutOfRangeIsRejectedNamingFileFieldRangeAndValue(string field, string value, string range)
    {
        using var tmp = new TempDir();
        string path = WriteCheckpoint(tmp.Path, m => m[field] = value);
        var e = Assert.Throws<CheckpointFormatException>(() => TrainingCheckpoint.Read(path));
        Assert.That(e!.FilePath, Is.EqualTo(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain($"'{field}'").And.Contain(range).And.Contain($"'{value}'"));
    }

    [Test]
    public void KnnOnACheckpointOfEpochMinusFiveIsOneErrorLine()
    {
        using var tmp = new TempDir();
        string path = WriteCheckpoint(tmp.Path, m => m["epoch"] = "-5");
        var r = Cli.CliRunner.Run("knn", "--checkpoint", path);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("nc: error: ").And.Contain(path).And.Contain("'epoch'").And.Contain("'-5'"));
    }

    [TestCase("npid", "method.npid.nce_z", "abc")]
    [TestCase("npid", "method.npid.nce_z", "-4")]
    [TestCase("npid", "method.npid.step", "99999999999999999999")]
    [TestCase("npid", "method.npid.step", "-3")]
    [TestCase("nnclr", "method.nnclr.queue_next", "2147483647")]
    public void MethodMetadataOutOfRangeIsAFormatErrorOnRestore(string methodName, string key, string value)
    {
        using var tmp = new TempDir();
        string path = WriteCheckpoint(tmp.Path, m =>
        {
            Assert.That(m.ContainsKey(key), key);
            m[key] = value;
        }, methodName);
        var ckpt = TrainingCheckpoint.Read(path);
        using var method = RunComponents.CreateMethod(ckpt.Config, 1, 8, Devices.Create("cpu"));
        var e = Assert.Throws<CheckpointFormatException>(() => ckpt.Restore(method, optimizer: null));
        Assert.That(e!.FilePath, Is.EqualTo(path));
        Assert.That(e.Message, Does.Contain(key[("method.".Length)..]).And.Contain(value));
    }
}
