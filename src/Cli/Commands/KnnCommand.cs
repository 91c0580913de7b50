using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc knn`: weighted kNN (NPID protocol) of a checkpoint's encoder. Architecture, data set
/// and preprocessing come from the checkpoint; the flags override k, τ, the data location and
/// the number of training images in the feature bank.
/// </summary>
internal static class KnnCommand
{
    public static Command Create(CliContext context)
    {
        var d = new TrainingConfig();
        var checkpoint = Flags.NonEmpty(new Option<string>("--checkpoint") { Description = "Checkpoint file or run folder.", Required = true });
        var k = Flags.Int("--k", "Neighbours.", 1, d.KnnK);
        var temperature = Flags.Float("--temperature", "Weight temperature τ (weights exp(s/τ)).", 0, true, d.KnnTemperature);
        var data = Flags.Text("--data", "Data directory (default: the one recorded in the checkpoint, else the installed location).");
        var limit = Flags.Int("--limit", "Use the first N training images as the feature bank (0: all).", 0, "all");
        var batch = Flags.Int("--batch-size", "Images per forward pass during feature extraction.", 1, KnnRequest.DefaultBatchSize);
        var device = Flags.Choice("--device", "Compute device.", Engine.Backends.Devices.Names, "the device the run was trained on");
        var precision = Flags.Precision();

        var command = new Command("knn", "Evaluate a checkpoint's encoder with weighted kNN on the test split.")
        {
            checkpoint, k, temperature, data, limit, batch, device, precision,
        };
        command.SetAction(parse =>
        {
            int? lim = parse.GetValue(limit) is int l && l > 0 ? l : null;
            var request = new KnnRequest(RunFolder.ResolveCheckpoint(parse.GetValue(checkpoint)!))
            {
                K = parse.GetResult(k) is { Implicit: false } ? parse.GetValue(k) : null,
                Temperature = parse.GetResult(temperature) is { Implicit: false } ? parse.GetValue(temperature) : null,
                DataPath = parse.GetValue(data),
                Limit = lim,
                BatchSize = parse.GetResult(batch) is { Implicit: false } ? parse.GetValue(batch) : KnnRequest.DefaultBatchSize,
                Device = parse.GetResult(device) is { Implicit: false } ? parse.GetValue(device) : null,
                Precision = parse.GetValue(precision),
            };
            var r = CheckpointEvaluation.Knn(request, context.Cancellation, msg => context.Error.WriteLine(msg));
            context.Out.WriteLine(Line(r));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>e.g. "knn k=200 t=0.1: top1 84.12% top5 99.01% (10000 test images, bank 60000)".</summary>
    public static string Line(KnnReport r) => string.Create(CultureInfo.InvariantCulture,
        $"knn k={r.K} t={r.Temperature:G}: top1 {r.Top1:0.00}% top5 {r.Top5:0.00}% ({r.TestCount} test images, bank {r.BankCount})");
}
