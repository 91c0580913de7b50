using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// Evaluation of a saved checkpoint: the encoder is rebuilt from the checkpoint's metadata
/// (arch, stem, input channels), its weights are loaded (names and shapes checked), and the
/// data set, image size and normalisation are those the run was trained with.
/// </summary>
public static class CheckpointEvaluation
{
    public static KnnReport Knn(KnnRequest request, CancellationToken cancellation = default, Action<string>? log = null)
    {
        var ckpt = TrainingCheckpoint.Read(request.CheckpointPath);
        var config = ckpt.Config with { DataPath = request.DataPath ?? ckpt.Config.DataPath, Device = request.Device ?? ckpt.Config.Device };
        int k = request.K ?? config.KnnK;
        float temperature = request.Temperature ?? config.KnnTemperature;
        var precision = Precisions.Resolve(request.Precision, config.Device);
        var backend = Devices.Create(config.Device);
        using var precisionScope = Precisions.Use(backend, precision);

        using var encoder = RunComponents.CreateEncoder(config with { Arch = ckpt.Arch }, ckpt.InChannels, backend, RunComponents.InitStream(config));
        ckpt.RestoreEncoder(encoder);
        var bank = RunComponents.LoadTrain(config, request.Limit);
        var test = RunComponents.LoadTest(config)
            ?? throw new TrainingException($"{config.Dataset} at {config.DataPath}: no test split to evaluate on.");
        if (bank.Channels != ckpt.InChannels)
            throw new Checkpoints.CheckpointFormatException(ckpt.Path, $"expected in_channels {bank.Channels} (the channels of {bank.Name}), found {ckpt.InChannels}.");
        log?.Invoke($"knn: {ckpt.Arch} encoder of {ckpt.Path} (epoch {ckpt.Epoch}), bank {bank.Count} {bank.Name} train images, {test.Count} test images");
        KnnScore score;
        try { score = KnnMonitor.Evaluate(encoder, bank, test, backend, ckpt.ImageSize, k, temperature, request.BatchSize, cancellation); }
        catch (Eval.NonFiniteFeaturesException e) { throw ckpt.Overflowed(e); }
        return new KnnReport(k, temperature, score.Top1, score.Top5, score.TestCount, score.BankCount);
    }
}
