using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc linear`: the linear evaluation protocol on a checkpoint's frozen encoder
/// (<see cref="LinearProbe"/>). Options map onto <see cref="LinearProbeConfig"/>, which holds the
/// defaults; progress per epoch goes to stderr, the result line to stdout.
/// </summary>
internal static class LinearCommand
{
    public static Command Create(CliContext context)
    {
        var d = new LinearProbeConfig();
        var checkpoint = Flags.NonEmpty(new Option<string>("--checkpoint") { Description = "Checkpoint file or run folder (any method: only the encoder is used).", Required = true });
        var device = Flags.Choice("--device", "Compute device.", Engine.Backends.Devices.Names, "the device the run was trained on");
        var precision = Flags.Precision();
        var data = Flags.Text("--data", "Data directory (default: the one recorded in the checkpoint, else the installed location).");
        var limit = Flags.Int("--limit", "Train the classifier on the first N training images (0: all).", 0, "all");
        var epochs = Flags.Int("--epochs", "Epochs over the precomputed features.", 1, d.Epochs);
        var batch = Flags.Int("--batch-size", "Features per step.", 1, d.BatchSize);
        var lr = Flags.Float("--lr", "Peak learning rate (cosine to 0).", 0, true, "sgd 0.1, adam 0.001");
        var optimizer = Flags.Choice("--optimizer", "Optimiser.", LinearProbeConfig.Optimizers, d.Optimizer);
        var momentum = Flags.Float("--momentum", "SGD momentum (Adam β1).", 0, false, d.Momentum, 1f);
        var weightDecay = Flags.Float("--weight-decay", "Weight decay.", 0, false, d.WeightDecay);
        var smoothing = Flags.Float("--label-smoothing", "Label smoothing ε: targets (1−ε)·one-hot + ε/C.", 0, false, d.LabelSmoothing, 1f);
        var norm = Flags.Choice("--feature-norm", "Features before the classifier: standardized per dimension with the training statistics, unit rows, or raw.",
            LinearProbeConfig.FeatureNorms, d.FeatureNorm);
        var featureBatch = Flags.Int("--feature-batch-size", "Images per forward pass while the features are computed.", 1, d.FeatureBatchSize);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the classifier's initial weights and of the batch order. [default: the run's seed]" };
        var output = Flags.Text("--out", "Run folder of the probe (default: linear/ in the checkpoint's folder).");

        var command = new Command("linear", "Linear evaluation: train a linear classifier on a checkpoint's frozen encoder features, report test top-1/top-5.")
        {
            checkpoint, device, precision, data, limit, epochs, batch, lr, optimizer, momentum, weightDecay, smoothing, norm, featureBatch, seed, output,
        };
        command.SetAction(parse =>
        {
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            var config = d with
            {
                Checkpoint = parse.GetValue(checkpoint)!,
                Device = Given(device) ? parse.GetValue(device) : null,
                Precision = parse.GetValue(precision),
                DataPath = parse.GetValue(data),
                Limit = parse.GetValue(limit) is int l && l > 0 ? l : null,
                Epochs = Given(epochs) ? parse.GetValue(epochs) : d.Epochs,
                BatchSize = Given(batch) ? parse.GetValue(batch) : d.BatchSize,
                Lr = Given(lr) ? parse.GetValue(lr) : null,
                Optimizer = Given(optimizer) ? parse.GetValue(optimizer)! : d.Optimizer,
                Momentum = Given(momentum) ? parse.GetValue(momentum) : d.Momentum,
                WeightDecay = Given(weightDecay) ? parse.GetValue(weightDecay) : d.WeightDecay,
                LabelSmoothing = Given(smoothing) ? parse.GetValue(smoothing) : d.LabelSmoothing,
                FeatureNorm = Given(norm) ? parse.GetValue(norm)! : d.FeatureNorm,
                FeatureBatchSize = Given(featureBatch) ? parse.GetValue(featureBatch) : d.FeatureBatchSize,
                Seed = Given(seed) ? parse.GetValue(seed) : null,
                Out = parse.GetValue(output),
            };
            var r = LinearProbe.Run(config, context.Cancellation, msg => context.Error.WriteLine(msg));
            context.Out.WriteLine(Line(r));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>e.g. "linear: simclr small fashion-mnist, 128-d features, 100 epochs sgd lr 0.1: test top1 81.20% top5 99.10% (10000 test images, 60000 train), 35.2s, runs/x/linear".</summary>
    public static string Line(LinearProbeResult r)
    {
        var c = r.Config;
        string folder = Path.GetRelativePath(Environment.CurrentDirectory, r.RunDirectory);
        if (folder.StartsWith("..", StringComparison.Ordinal)) folder = r.RunDirectory;
        return string.Create(CultureInfo.InvariantCulture,
            $"linear: {r.Method} {r.Arch} {r.Dataset}, {r.FeatureDim}-d features, {c.Epochs} epoch{(c.Epochs == 1 ? "" : "s")} {c.Optimizer} lr {c.LearningRate:G}: test top1 {100 * r.Final.TestTop1:0.00}% top5 {100 * r.Final.TestTop5:0.00}% ({r.TestCount} test images, {r.TrainCount} train), {TrainCommand.Duration(TimeSpan.FromSeconds(r.Seconds))}, {folder}");
    }
}
