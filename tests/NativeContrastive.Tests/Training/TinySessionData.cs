using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Data;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// A fixture of 48 Fashion-MNIST-format training images (4 test images) written once per class, and
/// the resolved configuration of a tiny session on them (small encoder, 12-px views, batch 8, cpu)
/// with each method's state kept small, for tests that step a <c>TrainingSession</c> by hand.
/// </summary>
public abstract class TinySessionData
{
    protected TempDir Data { get; private set; } = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        Data = new TempDir();
        DatasetWriters.FashionMnist(Data.Path, trainCount: 48, testCount: 4);
    }

    [OneTimeTearDown]
    public void DeleteData() => Data.Dispose();

    /// <summary>The tiny session of <paramref name="method"/>; <paramref name="adjust"/> sets what a test varies.</summary>
    protected TrainingConfig TinyConfig(string method, ulong seed, Func<TrainingConfig, TrainingConfig>? adjust = null)
    {
        var config = new TrainingConfig
        {
            Method = method, Dataset = "fashion-mnist", DataPath = Data.Path, Arch = "small", BatchSize = 8, Limit = 48, ImageSize = 12,
            Device = "cpu", Seed = seed,
            MethodOptions = method switch
            {
                "nnclr" => new(StringComparer.Ordinal) { ["queue-size"] = "20" },
                "npid" => new(StringComparer.Ordinal) { ["negatives"] = "16" },
                "swav" => new(StringComparer.Ordinal) { ["prototypes"] = "10", ["queue-length"] = "0", ["multi-crop"] = "2x100%,1x50%" },
                _ => new(StringComparer.Ordinal),
            },
        };
        return (adjust?.Invoke(config) ?? config).Resolve();
    }
}
