using System.Globalization;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;

namespace NativeContrastive.Engine.Training.Checkpointing;

/// <summary>
/// A run's checkpoint as one safetensors file. Tensors: the method's state dict under its
/// own names ("encoder.…", "projector.…" / "embed.…", "memory_bank") and the optimiser's
/// state under "optimizer.…", the online probe's classifier and optimiser under "online_probe.…", the weight
/// averages under "ema.…" and "swa.…". Metadata (strings): what is needed to rebuild the model without
/// the configuration (arch, stem, in_channels, image_size, feature_dim, method, dataset), the
/// position of the run (epoch, global_step, steps_per_epoch, optimizer_step_count), the
/// convolutions' precision ("precision": fp32, tf32, bf16; fp32 when absent), the randomness (seed; every stream is derived from (seed, purpose, epoch, sample or step), so
/// no generator position needs saving), the method's scalars under "method.", the whole
/// configuration as JSON under "config", and the run's metrics.csv / steps.csv text up to this
/// checkpoint under "run.metrics_csv" / "run.steps_csv".
/// </summary>
public sealed class TrainingCheckpoint
{
    public const string FormatKey = "format", FormatValue = "nativecontrastive/training-checkpoint-1";
    public const string OptimizerPrefix = "optimizer.", MethodMetaPrefix = "method.";

    /// <summary>Metadata keys of the run's metrics.csv and steps.csv text up to this checkpoint (resume rebuilds the files from them).</summary>
    public const string MetricsCsvKey = "run.metrics_csv", StepsCsvKey = "run.steps_csv";

    /// <summary>Metadata key of the convolutions' precision the run trained with (fp32, tf32, bf16); absent in checkpoints from before it existed, which ran fp32.</summary>
    public const string PrecisionKey = "precision";

    private readonly SafeTensorsFile content;

    /// <summary>The numeric metadata and the range each must lie in, checked when a checkpoint is read.</summary>
    private static readonly (string Key, long Min, long Max)[] Numbers =
    [
        ("epoch", 0, int.MaxValue), ("global_step", 0, long.MaxValue), ("steps_per_epoch", 1, int.MaxValue),
        ("in_channels", 1, 3), ("image_size", 0, 65536), ("feature_dim", 1, int.MaxValue), ("optimizer_step_count", 0, long.MaxValue),
    ];

    private TrainingCheckpoint(string path, SafeTensorsFile content)
    {
        Path = path;
        this.content = content;
        foreach (var (key, min, max) in Numbers)
            if (Meta.TryGetValue(key, out var text) && !(key == "steps_per_epoch" && text.Length == 0)) Number(key, min, max);
        try
        {
            Config = TrainingConfig.FromJson(Get("config"), "metadata 'config'");
            Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(path, e.Message.StartsWith("metadata", StringComparison.Ordinal) ? e.Message : $"metadata 'config': {e.Message}", e);
        }
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Meta => content.Metadata;

    public TrainingConfig Config { get; }

    public string Arch => Get("arch");

    public int InChannels => (int)Number("in_channels", 1, 3);

    public int ImageSize => (int)Number("image_size", 0, 65536);

    public int Epoch => (int)Number("epoch", 0, int.MaxValue);

    public long GlobalStep => Number("global_step", 0, long.MaxValue);

    /// <summary>metrics.csv as it was when the checkpoint was written; null in checkpoints from before it was kept.</summary>
    public string? MetricsCsv => Meta.TryGetValue(MetricsCsvKey, out var s) ? s : null;

    /// <summary>steps.csv as it was when the checkpoint was written; null in checkpoints from before it was kept.</summary>
    public string? StepsCsv => Meta.TryGetValue(StepsCsvKey, out var s) ? s : null;

    /// <summary>
    /// The precision the run trained with: metadata <see cref="PrecisionKey"/>, else the configuration's
    /// (fp32 for a checkpoint written before precisions were recorded).
    /// </summary>
    public Kernels.Families.Precision Precision
    {
        get
        {
            if (!Meta.TryGetValue(PrecisionKey, out var text)) return Config.Precision is null ? Kernels.Families.Precision.Fp32 : Config.PrecisionValue;
            return Precisions.TryParse(text, out var p) ? p
                : throw new CheckpointFormatException(Path, $"metadata '{PrecisionKey}': expected one of {string.Join(", ", Precisions.Names)}, found '{text}'.");
        }
    }

    public int? StepsPerEpoch => Meta.TryGetValue("steps_per_epoch", out var s) && s.Length > 0 ? (int)Number("steps_per_epoch", 1, int.MaxValue) : null;

    public static Dictionary<string, string> Metadata(TrainingConfig config, ContrastiveMethod method, Optimizer optimizer,
        int inChannels, int epoch, long globalStep, int stepsPerEpoch, OnlineProbe? probe = null, IReadOnlyList<WeightAverage>? averages = null)
    {
        var encoder = (Models.Encoder)method.Encoder;
        var meta = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            ["arch"] = encoder.Arch,
            ["stem"] = config.Stem,
            ["in_channels"] = I(inChannels),
            ["image_size"] = I(config.ImageSize ?? 0),
            ["feature_dim"] = I(encoder.FeatureDim),
            ["method"] = method.Name,
            ["dataset"] = config.Dataset,
            ["epoch"] = I(epoch),
            ["global_step"] = globalStep.ToString(CultureInfo.InvariantCulture),
            ["steps_per_epoch"] = I(stepsPerEpoch),
            ["optimizer"] = config.OptimizerName,
            [PrecisionKey] = Precisions.Format(config.PrecisionValue),
            ["optimizer_step_count"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["seed"] = config.Seed.ToString(CultureInfo.InvariantCulture),
            ["rng"] = "philox4x32-10; streams from (seed, purpose, epoch, sample/step), no saved positions",
            ["config"] = config.ToJson(),
        };
        foreach (var (k, v) in method.StateMetadata()) meta[MethodMetaPrefix + k] = v;
        foreach (var (k, v) in optimizer.StateMetadata()) meta[OptimizerPrefix + k] = v;
        if (probe is not null) foreach (var (k, v) in probe.StateMetadata()) meta[k] = v;
        foreach (var average in averages ?? []) foreach (var (k, v) in average.StateMetadata()) meta[k] = v;
        return meta;
    }

    /// <summary>
    /// Writes the method's, the optimiser's, the online probe's and the weight averages' tensors with
    /// <paramref name="metadata"/> (atomically).
    /// </summary>
    public static void Write(string path, ContrastiveMethod method, Optimizer optimizer, IReadOnlyDictionary<string, string> metadata,
        OnlineProbe? probe = null, IReadOnlyList<WeightAverage>? averages = null) =>
        Snapshot(method, optimizer, metadata, probe, averages).Write(path);

    /// <summary>
    /// The file <see cref="Write"/> writes, in memory: every tensor copied to the host now (the one step
    /// that needs the device), so the result is the caller's own and may be written later while
    /// training goes on changing the weights.
    /// </summary>
    public static SafeTensorsFile Snapshot(ContrastiveMethod method, Optimizer optimizer, IReadOnlyDictionary<string, string> metadata,
        OnlineProbe? probe = null, IReadOnlyList<WeightAverage>? averages = null)
    {
        var file = new SafeTensorsFile();
        ModuleState.AddTensors(file, method.StateDict());
        ModuleState.AddTensors(file, optimizer.State(), OptimizerPrefix);
        if (probe is not null) ModuleState.AddTensors(file, probe.State());
        foreach (var average in averages ?? []) ModuleState.AddTensors(file, average.State());
        foreach (var (k, v) in metadata) file.Metadata[k] = v;
        return file;
    }

    /// <summary>Metadata key that marks a file of averaged weights (<see cref="WriteAveraged"/>): its value is the average's kind, "ema" or "swa".</summary>
    public const string WeightsKey = "weights";

    /// <summary>
    /// Writes averaged weights as a model checkpoint (ema.safetensors, swa.safetensors): the method's
    /// state with the averages in place of the weights, the run's metadata marked weights = ema|swa, no
    /// optimiser state. Every evaluation command reads it like any checkpoint; --resume refuses it.
    /// </summary>
    public static void WriteAveraged(string path, ContrastiveMethod method, WeightAverage average, IReadOnlyDictionary<string, string> metadata) =>
        SnapshotAveraged(method, average, metadata).Write(path);

    /// <summary>The file <see cref="WriteAveraged"/> writes, in memory (host copies taken now, as <see cref="Snapshot"/>).</summary>
    public static SafeTensorsFile SnapshotAveraged(ContrastiveMethod method, WeightAverage average, IReadOnlyDictionary<string, string> metadata)
    {
        var file = new SafeTensorsFile();
        average.WithAveragedWeights(() => { ModuleState.AddTensors(file, method.StateDict()); return 0; });
        foreach (var (k, v) in metadata) file.Metadata[k] = v;
        file.Metadata[WeightsKey] = average.Kind;
        return file;
    }

    /// <summary>Reads a checkpoint; throws CheckpointFormatException naming the file for anything that is not one of ours.</summary>
    public static TrainingCheckpoint Read(string path)
    {
        var content = SafeTensorsFile.Read(path);
        if (!content.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new CheckpointFormatException(path, $"not a training checkpoint: expected metadata {FormatKey} = '{FormatValue}', found '{format ?? "(none)"}'.");
        return new TrainingCheckpoint(path, content);
    }

    /// <summary>
    /// Throws naming this file, the expected and the found value unless the checkpoint was made
    /// by the same method with the same encoder (arch, stem) on the same data set.
    /// </summary>
    public void RequireCompatible(TrainingConfig config)
    {
        if (Meta.TryGetValue(WeightsKey, out var weights))
            throw new CheckpointFormatException(Path, $"holds an average of the weights (metadata {WeightsKey} = '{weights}'), which evaluates but cannot resume; resume from last.safetensors of the run.");
        Same("arch", config.Arch, Arch);
        Same("method", config.Method, Get("method"));
        Same("dataset", config.Dataset, Get("dataset"));
        if (config.Arch != "small") Same("stem", config.Stem, Get("stem"));
        if ((config.EmaDecay > 0) != (Config.EmaDecay > 0))
            throw new CheckpointFormatException(Path, $"the run was trained {(Config.EmaDecay > 0 ? "with" : "without")} a moving average of the weights; resume it with --ema-decay {(Config.EmaDecay > 0 ? Config.EmaDecay : 0)}.");
        if (config.SwaEpochs != Config.SwaEpochs)
            throw new CheckpointFormatException(Path, $"the run was trained with --swa-epochs {Config.SwaEpochs}; resume it with the same value, found {config.SwaEpochs}.");
        if (config.PrecisionValue != Precision)
            throw new CheckpointFormatException(Path, $"the run was trained with --precision {Precisions.Format(Precision)}; resuming it with --precision {Precisions.Format(config.PrecisionValue)} is refused (leave --precision out to continue with {Precisions.Format(Precision)}, or start a new run).");
        if (config.OnlineProbe != Config.OnlineProbe)
            throw new CheckpointFormatException(Path, $"the run was trained {(Config.OnlineProbe ? "with" : "without")} the online probe; resume it {(Config.OnlineProbe ? "without" : "with")} --no-online-probe.");
    }

    private void Same(string what, string expected, string found)
    {
        if (expected != found)
            throw new CheckpointFormatException(Path, $"checkpoint of another {what}: expected {what} '{expected}' (from the configuration), found '{found}'.");
    }

    /// <summary>Copies every tensor of the method (and optimiser, and online probe) from the file, checking names and shapes; restores the scalars.</summary>
    public void Restore(ContrastiveMethod method, Optimizer? optimizer, OnlineProbe? probe = null, IReadOnlyList<WeightAverage>? averages = null)
    {
        Load(method.StateDict());
        foreach (var average in averages ?? [])
        {
            Load(average.State());
            try { average.LoadStateMetadata(Meta); }
            catch (FormatException e) { throw new CheckpointFormatException(Path, e.Message, e); }
        }
        if (probe is not null)
        {
            Load(probe.State());
            try { probe.LoadStateMetadata(Meta); }
            catch (FormatException e) { throw new CheckpointFormatException(Path, e.Message, e); }
        }
        if (optimizer is not null)
        {
            Load(optimizer.State().Select(s => (OptimizerPrefix + s.Name, s.Tensor)));
            optimizer.StepCount = Number("optimizer_step_count", 0, long.MaxValue);
            try { optimizer.LoadStateMetadata(Prefixed(OptimizerPrefix)); }
            catch (FormatException e) { throw new CheckpointFormatException(Path, e.Message, e); }
        }
        try { method.LoadStateMetadata(Prefixed(MethodMetaPrefix)); }
        catch (FormatException e) { throw new CheckpointFormatException(Path, $"method metadata: {e.Message}", e); }
    }

    private Dictionary<string, string> Prefixed(string prefix) =>
        Meta.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>Copies the parameters and buffers of the method's modules (not its bank or queue) from the file, for inference.</summary>
    public void RestoreModules(ContrastiveMethod method) => Load(method.ModuleStateDict());

    /// <summary>Copies the encoder's tensors ("encoder.…" in the file) into <paramref name="encoder"/>.</summary>
    public void RestoreEncoder(Nn.Module encoder) => Load(encoder.StateDict("encoder."));

    /// <summary>The error for features of this checkpoint's weights that are not finite (the weights are, but they overflow).</summary>
    public CheckpointFormatException Overflowed(Eval.NonFiniteFeaturesException e) =>
        new(Path, $"{e.Message}: its weights are finite but overflow (the run that wrote it diverged).", e);

    private void Load(IEnumerable<(string Name, Tensor Tensor)> targets) => ModuleState.LoadTensors(content, targets);

    private string Get(string key) =>
        Meta.TryGetValue(key, out var v) ? v : throw new CheckpointFormatException(Path, $"expected metadata '{key}', found none.");

    /// <summary>The integer metadata <paramref name="key"/>, or an error naming the file, the field, the range and what was found.</summary>
    private long Number(string key, long min, long max)
    {
        string text = Get(key);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
            throw new CheckpointFormatException(Path, string.Create(CultureInfo.InvariantCulture,
                $"metadata '{key}': expected an integer in {min}..{max}, found '{text}'."));
        return v;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
