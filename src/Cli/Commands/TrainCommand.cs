using System.CommandLine;
using NativeContrastive.Cli.Progress;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc train`: builds a <see cref="TrainingConfig"/> from the defaults (on --resume, the
/// checkpoint's configuration), then the keys of --config FILE, then the given flags on top, runs the <see cref="Trainer"/>
/// with a progress display, and prints one summary line.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var bindings = ConfigBindings();
        var resume = Flags.NonEmpty(new Option<string>("--resume") { Description = "Continue from a run folder or checkpoint file, in that folder wherever it is now unless --out is given (its configuration; given flags override, e.g. a larger --epochs, except --precision: the run keeps the one it was trained with and another is refused)." });
        var force = new Option<bool>("--force") { Description = "Replace the run already in --out (without it, a folder holding another run is refused)." };
        var file = ConfigFileOption();

        var command = new Command("train", "Train an encoder with a contrastive method and write a run folder.");
        foreach (var b in bindings) command.Add(b.Option);
        command.Add(resume);
        command.Add(force);
        command.Add(file);
        command.SetAction(parse =>
        {
            string? resumeFrom = parse.GetValue(resume);
            // On --resume the run continues where its checkpoint is now, not where it was trained (unless --out says otherwise).
            var config = resumeFrom is null ? new TrainingConfig() : Trainer.ConfigOfCheckpoint(RunFolder.ResolveCheckpoint(resumeFrom)) with { Out = null };
            if (parse.GetValue(file) is string path) config = ConfigFile.Apply(config, path);
            foreach (var b in bindings) config = b.Apply(parse, config);
            config = config with { Resume = resumeFrom ?? config.Resume, Force = parse.GetValue(force) };
            return Run(context, config);
        });
        return command;
    }

    /// <summary>Every configuration flag of `nc train` (fresh options each call; `nc profile` takes most of them too).</summary>
    public static List<IConfigBinding> ConfigBindings()
    {
        var d = new TrainingConfig();
        var bindings = new List<IConfigBinding>
        {
            B(Flags.Choice("--method", "Method: " + string.Join(" ", MethodRegistry.All.Select(m => m.Summary)), TrainingConfig.Methods, d.Method), (c, v) => c with { Method = v }),
            B(Flags.Choice("--dataset", "Data set.", DatasetCatalog.Names, d.Dataset), (c, v) => c with { Dataset = v }),
            B(Flags.Text("--data", "Data directory (default: the data set's installed location, where it has one)."), (c, v) => c with { DataPath = v }),
            B(Flags.Choice("--arch", "Encoder architecture.", TrainingConfig.Architectures, d.Arch), (c, v) => c with { Arch = v }),
            B(Flags.Choice("--stem", "Encoder stem: cifar (3×3 conv, small images) or imagenet (7×7/2 conv + max-pool).", TrainingConfig.Stems, d.Stem), (c, v) => c with { Stem = v }),
            B(Flags.Choice("--device", "Compute device.", Engine.Backends.Devices.Names, d.Device), (c, v) => c with { Device = v }),
            B(Flags.Precision(), (c, v) => c with { Precision = v }),
            B(new Option<bool>("--cuda-graphs") { Description = "Capture each training step and launch it as one CUDA graph (cuda; emulated on emu). [default: off]" },
                (c, v) => c with { CudaGraphs = v }),
            B(Flags.Int("--epochs", "Training epochs (0: write the randomly initialised encoder as a baseline checkpoint).", 0, d.Epochs), (c, v) => c with { Epochs = v }),
            B(Flags.Int("--batch-size", "Images per step.", 2, d.BatchSize), (c, v) => c with { BatchSize = v }),
            B(Flags.Float("--lr", "Peak learning rate.", 0, false, PerMethod(m => m.Defaults.Lr)), (c, v) => c with { Lr = v }),
            B(Flags.Choice("--optimizer", "Optimiser.", TrainingConfig.Optimizers, PerMethod(m => m.Defaults.Optimizer)), (c, v) => c with { Optimizer = v }),
            B(Flags.Float("--momentum", "SGD/LARS momentum (Adam β1).", 0, false, d.Momentum, 1f), (c, v) => c with { Momentum = v }),
            B(Flags.Float("--weight-decay", "Weight decay.", 0, false, PerMethod(m => m.Defaults.WeightDecay)), (c, v) => c with { WeightDecay = v }),
            B(Flags.Float("--warmup-epochs", "Linear warm-up length in epochs (fractions allowed).", 0, false, PerMethod(m => m.Defaults.WarmupEpochs)), (c, v) => c with { WarmupEpochs = v }),
            B(Flags.Choice("--schedule", "Learning-rate schedule after warm-up.", TrainingConfig.Schedules, d.Schedule), (c, v) => c with { Schedule = v }),
            B(Milestones(d), (c, v) => c with { Milestones = v }),
            B(Flags.Float("--lr-decay", "multistep: factor applied at each milestone.", 0, true, d.LrDecay), (c, v) => c with { LrDecay = v }),
            B(new Option<ulong>("--seed") { Description = $"Seed of all randomness. [default: {d.Seed}]" }, (c, v) => c with { Seed = v }),
            B(Flags.Int("--limit", "Train on the first N training images (0: all of them).", 0, d.Limit), (c, v) => c with { Limit = v == 0 ? null : v }),
            B(Flags.Int("--image-size", "Side of the training views in pixels (default: the data set's own).", 8, null), (c, v) => c with { ImageSize = v }),
            B(Flags.Float("--crop-scale-min", "Smallest random crop area of the full-size views as a fraction of the image (default: the method's).", 0, true, null, maxInclusive: 1f), (c, v) => c with { CropScaleMin = v }),
            B(Flags.Float("--jitter-strength", "SimCLR colour-jitter strength.", 0, false, d.JitterStrength, maxInclusive: 2f), (c, v) => c with { JitterStrength = v }),
            B(new Option<bool>("--no-online-probe") { Description = "Do not train the online linear probe (a classifier on the detached encoder features, reported as probe_acc per epoch; it never changes the encoder). [default: probe on when the data set has labels]" },
                (c, v) => c with { OnlineProbe = !v }),
            B(Flags.Float("--ema-decay", "Also keep an exponential moving average of the weights with this decay (e.g. 0.999; 0: off): kNN-monitored as ema_knn_top1 and written as ema.safetensors.", 0, false, d.EmaDecay, maxExclusive: 1f), (c, v) => c with { EmaDecay = v }),
            B(Flags.Int("--swa-epochs", "Stochastic weight averaging: also keep the mean of the weights at the end of each of the last N epochs, batch-norm statistics recomputed after the last (0: off); kNN-monitored as swa_knn_top1 and written as swa.safetensors.", 0, d.SwaEpochs), (c, v) => c with { SwaEpochs = v }),
            B(Flags.Int("--eval-every", "kNN monitor on the test split every N epochs (0: only after the last).", 0, d.EvalEvery), (c, v) => c with { EvalEvery = v }),
            B(Flags.Int("--eval-limit", "kNN monitor: score the first N test images (0: all).", 0, "all"), (c, v) => c with { EvalLimit = v == 0 ? null : v }),
            B(Flags.Choice("--knn-bank", "kNN monitor's bank: images (NPID: every training image encoded again at each monitor) or views (solo-learn's online kNN: each image's first view as its training step encoded it, so the monitor encodes only the test split).", TrainingConfig.KnnBanks, d.KnnBank), (c, v) => c with { KnnBank = v }),
            B(Flags.Int("--knn-k", "kNN neighbours.", 1, d.KnnK), (c, v) => c with { KnnK = v }),
            B(Flags.Float("--knn-temperature", "kNN weight temperature.", 0, true, d.KnnTemperature), (c, v) => c with { KnnTemperature = v }),
            B(Flags.Text("--out", "Run folder (config, metrics, plots, checkpoints); one that holds another run is refused unless --force.", $"{TrainingConfig.RunsDirectory}/<method>-001, -002, … (the next free one); on --resume the checkpoint's folder"), (c, v) => c with { Out = v }),
        };
        bindings.AddRange(MethodOptionFlags.Bindings());
        return bindings;
    }

    /// <summary>
    /// --config FILE: a YAML file (or a run's config.json) with the keys of config.json; its values
    /// replace the defaults (on --resume, the checkpoint's configuration) and the flags given replace
    /// its values (<see cref="ConfigFile"/>).
    /// </summary>
    public static Option<string> ConfigFileOption() => Flags.NonEmpty(new Option<string>("--config")
    {
        Description = "YAML (or a run's config.json) with any of these options as snake_case keys, method options under method_options; flags given here override it.",
    });

    /// <summary>"simclr adam, npid sgd, …": a default that each method sets for itself.</summary>
    private static string PerMethod(Func<MethodDefinition, object> value) =>
        string.Join(", ", MethodRegistry.All.Select(m => $"{m.Name} {Flags.Format(value(m))}"));

    /// <summary>Trains with progress on <paramref name="context"/>'s streams; returns the exit code.</summary>
    public static int Run(CliContext context, TrainingConfig config)
    {
        config = config.Resolve();
        using var display = TrainingProgress.Create(context);
        var result = display.Run(observer => Trainer.Run(config, observer, context.Cancellation));
        if (result.Cancelled)
        {
            context.Error.WriteLine(result.CheckpointPath is null
                ? "nc: interrupted before the first checkpoint; nothing to resume from."
                : $"nc: interrupted; the last complete checkpoint is {result.CheckpointPath} (continue with --resume {result.RunDirectory})");
            return ExitCodes.Interrupted;
        }
        context.Out.WriteLine(Summary(result));
        return ExitCodes.Ok;
    }

    /// <summary>e.g. "done: simclr small fashion-mnist 3 epochs, loss 4.21, knn top1 78.3% top5 98.1%, 412 img/s, 5m12s, checkpoint runs/simclr-001/last.safetensors".</summary>
    public static string Summary(TrainingResult r)
    {
        var c = r.Config;
        var parts = new List<string> { $"done: {c.Method} {c.Arch} {c.Dataset} {r.Epochs} epoch{(r.Epochs == 1 ? "" : "s")}" };
        if (r.FinalLoss is double loss) parts.Add(FormattableString.Invariant($"loss {loss:0.###}"));
        if (r.Knn is { } k) parts.Add(FormattableString.Invariant($"knn top1 {k.Top1:0.0}% top5 {k.Top5:0.0}%"));
        if (r.ImagesPerSecond > 0) parts.Add(FormattableString.Invariant($"{r.ImagesPerSecond:0} img/s"));
        parts.Add(Duration(r.Elapsed));
        parts.Add($"checkpoint {RelativeOrFull(r.CheckpointPath!)}");
        return string.Join(", ", parts);
    }

    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : FormattableString.Invariant($"{t.TotalSeconds:0.0}s");

    private static string RelativeOrFull(string path)
    {
        string rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }

    private static ConfigBinding<T> B<T>(Option<T> option, Func<TrainingConfig, T, TrainingConfig> apply) => new(option, apply);

    private static Option<int[]> Milestones(TrainingConfig d)
    {
        var o = new Option<int[]>("--milestones")
        {
            Description = "multistep: epochs at which the learning rate is multiplied by --lr-decay.",
            AllowMultipleArgumentsPerToken = true,
        };
        o.Validators.Add(r =>
        {
            if (!Flags.TryValue(r, out int[]? v) || v is null) return;
            if (v.Any(m => m <= 0)) r.AddError($"--milestones must be positive epoch numbers, got {string.Join(" ", v)}.");
        });
        return o;
    }
}
