using System.Text.Json.Serialization;
using System.Text.Json;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Configuration;

/// <summary>
/// Every option of a training run with its default, in one place. The command line maps one
/// flag to each property (kebab-case of the JSON name); the run folder's config.json is this
/// record serialised after <see cref="Resolve"/>, so it states what actually ran.
///
/// Defaults are chosen for the cpu device: the default command (SimCLR, small encoder,
/// Fashion-MNIST) trains and evaluates within minutes on two cores. Properties that are null
/// take a value that depends on another option (see <see cref="Resolve"/>): the optimiser, learning
/// rate, weight decay and warm-up come from the method's <see cref="MethodDefinition.Defaults"/>.
/// Everything a method declares for itself (temperature, heads, bank, prototypes, …) lives in
/// <see cref="MethodOptions"/> under the names its <see cref="MethodDefinition.Options"/> declare;
/// this record knows no method by name.
/// </summary>
public sealed record TrainingConfig
{
    public static readonly IReadOnlyList<string> Methods = MethodRegistry.Names;
    public static readonly IReadOnlyList<string> Optimizers = Optim.OptimizerFactory.Names;
    public static readonly IReadOnlyList<string> Schedules = ["cosine", "multistep", "constant"];
    public static readonly IReadOnlyList<string> Architectures = Models.ModelFactory.Architectures;
    public static readonly IReadOnlyList<string> Stems = ["cifar", "imagenet"];

    // ---- what to train ---------------------------------------------------------------

    /// <summary>A <see cref="MethodRegistry"/> name.</summary>
    public string Method { get; init; } = MethodRegistry.Names[0];

    /// <summary>A <see cref="DatasetCatalog"/> name.</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Data directory; null = the data set's default location (Fashion-MNIST, MNIST).</summary>
    public string? DataPath { get; init; }

    /// <summary>Encoder architecture (Models.ModelFactory.Architectures).</summary>
    public string Arch { get; init; } = "small";

    /// <summary>cifar: 3×3 stride-1 first conv, no max-pool (small images); imagenet: 7×7/2 + max-pool.</summary>
    public string Stem { get; init; } = "cifar";

    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Operand precision of the convolutions: fp32, tf32 or bf16 (<see cref="Precisions"/>); null = the
    /// device's default (tf32 on cuda, fp32 on cpu and emu), filled in by <see cref="Resolve"/> so that
    /// config.json and the checkpoint record what ran. A configuration without the key (a run from
    /// before precisions existed) reads as fp32.
    /// </summary>
    public string? Precision { get; init; }

    /// <summary>
    /// Run each training step as one captured graph (<see cref="Loop.StepGraph"/>): cuda (CUDA graphs) and
    /// emu (the same capture rules, emulated); not cpu, which launches no kernels. Off by default: its gain
    /// on a GPU is not measured yet.
    /// </summary>
    public bool CudaGraphs { get; init; }

    /// <summary>Keep the first N training images (null = all of them).</summary>
    public int? Limit { get; init; } = 30_000;

    /// <summary>Square side of the training views; null = the data set's native size.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Smallest random-resized-crop area (fraction of the image) of the full-size views; null = the method's usual value.</summary>
    public float? CropScaleMin { get; init; }

    /// <summary>SimCLR colour-jitter strength s (brightness/contrast/saturation 0.8·s, hue 0.2·s); 0.5 is SimCLR's CIFAR setting.</summary>
    public float JitterStrength { get; init; } = 0.5f;

    // ---- optimisation ----------------------------------------------------------------

    public int Epochs { get; init; } = 3;

    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate (after warm-up); null = the method's.</summary>
    public float? Lr { get; init; }

    /// <summary>sgd | lars | adam | adamw; null = the method's.</summary>
    public string? Optimizer { get; init; }

    /// <summary>SGD/LARS momentum (β₁ for Adam).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>null = the method's.</summary>
    public float? WeightDecay { get; init; }

    /// <summary>Linear warm-up in epochs; null = the method's.</summary>
    public float? WarmupEpochs { get; init; }

    /// <summary>cosine | multistep | constant.</summary>
    public string Schedule { get; init; } = "cosine";

    /// <summary>multistep: epochs at which the learning rate is multiplied by <see cref="LrDecay"/>.</summary>
    public int[] Milestones { get; init; } = [];

    public float LrDecay { get; init; } = 0.1f;

    /// <summary>Seed of every random stream (init, data order, augmentation, negatives).</summary>
    public ulong Seed { get; init; } = 1;

    // ---- the method's own settings -------------------------------------------------

    /// <summary>
    /// Option name → value (invariant text) of the method's declared options. After
    /// <see cref="Resolve"/> it holds every option of the method, defaults filled in.
    /// </summary>
    public SortedDictionary<string, string> MethodOptions
    {
        get => methodOptions;
        // Always ordinal, whoever made the dictionary (JSON gives the culture-aware default): the
        // order of config.json and configuration equality must not depend on the machine's culture.
        init => methodOptions = new SortedDictionary<string, string>(value ?? new(), StringComparer.Ordinal);
    }

    private readonly SortedDictionary<string, string> methodOptions = new(StringComparer.Ordinal);

    /// <summary>This configuration with method option <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public TrainingConfig WithMethodOption(string name, string value) =>
        this with { MethodOptions = new SortedDictionary<string, string>(MethodOptions, StringComparer.Ordinal) { [name] = value } };

    /// <summary>The typed values of the method options.</summary>
    [JsonIgnore]
    public MethodOptionValues MethodOptionValues => new(MethodOptions);

    /// <summary>The registry entry of <see cref="Method"/>.</summary>
    [JsonIgnore]
    public MethodDefinition MethodDefinition => MethodRegistry.Get(Method);

    // ---- evaluation ------------------------------------------------------------------

    /// <summary>
    /// Train an online linear probe on the detached encoder features during pre-training and report its
    /// accuracy per epoch (probe_acc); it never changes the encoder (see <see cref="OnlineProbe"/>).
    /// </summary>
    public bool OnlineProbe { get; init; } = true;

    /// <summary>
    /// Keep an exponential moving average of the weights with this decay (0 = off), updated after every
    /// step (<see cref="Optim.WeightAverage.Exponential"/>): evaluated by the kNN monitor beside the raw weights
    /// (ema_knn_top1) and written as ema.safetensors next to last.safetensors.
    /// </summary>
    public float EmaDecay { get; init; } = 0f;

    /// <summary>
    /// Stochastic weight averaging: the mean of the weights at the end of each of the last N epochs
    /// (0 = off), its batch-norm statistics recomputed on the training images after the last epoch
    /// (<see cref="Optim.WeightAverage.Uniform"/>); kNN-monitored (swa_knn_top1) and written as swa.safetensors.
    /// </summary>
    public int SwaEpochs { get; init; } = 0;

    public int KnnK { get; init; } = 200;

    public float KnnTemperature { get; init; } = 0.1f;

    public const string KnnBankImages = "images", KnnBankViews = "views";

    public static readonly IReadOnlyList<string> KnnBanks = [KnnBankImages, KnnBankViews];

    /// <summary>
    /// What the kNN monitor compares the test images with. "images" (NPID's protocol, the default): the
    /// encoder's features of every training image, extracted again at each monitor. "views" (solo-learn's
    /// online kNN): the features of each training image's first view as its training step computed them
    /// during the epoch (<see cref="Evaluation.ViewFeatureBank"/>), so the monitor encodes only the test split.
    /// The monitors of averaged weights (EMA, SWA) and a resumed run's first monitor use "images". `nc knn` always does.
    /// </summary>
    public string KnnBank { get; init; } = KnnBankImages;

    /// <summary>kNN monitor on the test split every N epochs (and always after the last); 0 = only at the end.</summary>
    public int EvalEvery { get; init; } = 0;

    /// <summary>First N test images scored by the kNN monitor during training (null = all); `nc knn` always uses all.</summary>
    public int? EvalLimit { get; init; }

    // ---- run folder --------------------------------------------------------------------

    /// <summary>
    /// The run folder. Null: on --resume the folder of the checkpoint (wherever it is now), otherwise
    /// the next free runs/&lt;method&gt;-001, -002, … (the trainer fills in the one it took).
    /// </summary>
    public string? Out { get; init; }

    /// <summary>A run folder or checkpoint file to continue from.</summary>
    public string? Resume { get; init; }

    /// <summary>--force: a new run replaces the run already in <see cref="Out"/> (otherwise such a folder is refused). Not part of the record.</summary>
    [JsonIgnore] public bool Force { get; init; }

    /// <summary>Where runs without --out are numbered.</summary>
    public const string RunsDirectory = "runs";

    // ---- resolved values (valid after Resolve) ------------------------------------------

    /// <summary>The precision to run with: <see cref="Precision"/>, or the device's default.</summary>
    [JsonIgnore] public Kernels.Families.Precision PrecisionValue => Precisions.Resolve(Precision, Device);

    [JsonIgnore] public string OptimizerName => Optimizer ?? MethodDefinition.Defaults.Optimizer;
    [JsonIgnore] public float LearningRate => Lr ?? MethodDefinition.Defaults.Lr;
    [JsonIgnore] public float WeightDecayValue => WeightDecay ?? MethodDefinition.Defaults.WeightDecay;
    [JsonIgnore] public float WarmupEpochsValue => WarmupEpochs ?? MethodDefinition.Defaults.WarmupEpochs;

    /// <summary>
    /// Canonical names and method-dependent defaults filled in (optimiser, lr, weight decay,
    /// warm-up, every method option); throws ArgumentException naming the option for any value
    /// out of range and for a method option the method does not declare.
    /// </summary>
    public TrainingConfig Resolve()
    {
        var method = MethodRegistry.Get(Method);
        var d = method.Defaults;
        var c = this with
        {
            Method = method.Name,
            Dataset = DatasetCatalog.Canonical(Dataset),
            Arch = Arch.Trim().ToLowerInvariant(),
            Stem = Stem.Trim().ToLowerInvariant(),
            Device = Device.Trim().ToLowerInvariant(),
            Precision = Precisions.Format(Precisions.Resolve(Precision, Device)),
            Optimizer = (Optimizer ?? d.Optimizer).Trim().ToLowerInvariant(),
            Lr = Lr ?? d.Lr,
            WeightDecay = WeightDecay ?? d.WeightDecay,
            WarmupEpochs = WarmupEpochs ?? d.WarmupEpochs,
            Schedule = Schedule.Trim().ToLowerInvariant(),
            KnnBank = KnnBank.Trim().ToLowerInvariant(),
            MethodOptions = ResolveMethodOptions(method, MethodOptions),
        };
        c.Validate();
        return c;
    }

    /// <summary>Every option of <paramref name="method"/>: the given value (checked, canonical) or the default; unknown names are errors.</summary>
    private static SortedDictionary<string, string> ResolveMethodOptions(MethodDefinition method, IReadOnlyDictionary<string, string> given)
    {
        foreach (var name in given.Keys)
            if (method.Option(name) is null)
            {
                var owners = MethodRegistry.All.Where(m => m.Option(name) is not null).Select(m => m.Name).ToList();
                string whose = owners.Count > 0 ? $"an option of {string.Join(", ", owners)}" : "not an option of any method";
                string own = method.Options.Count > 0 ? string.Join(", ", method.Options.Select(o => o.Flag)) : "none";
                throw new ArgumentException($"--{name} is {whose}, not of --method {method.Name} (its options: {own}).");
            }
        var resolved = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in method.Options)
        {
            string text = given.TryGetValue(o.Name, out var v) ? v : o.DefaultText;
            if (o.Check(text) is string reason) throw new ArgumentException($"{o.Flag} {reason}.");
            resolved[o.Name] = text;
        }
        return resolved;
    }

    /// <summary>Throws ArgumentException naming the first option with a bad value.</summary>
    public void Validate()
    {
        OneOf("--method", Method, Methods);
        OneOf("--dataset", DatasetCatalog.Canonical(Dataset), DatasetCatalog.Names);
        OneOf("--arch", Arch, Architectures);
        OneOf("--stem", Stem, Stems);
        OneOf("--device", Device, Devices.Names);
        if (Precision is not null) OneOf("--precision", Precision, Precisions.Names);
        Check(!CudaGraphs || Device != "cpu", "--cuda-graphs", "needs --device cuda or emu (the cpu backend launches no kernels to capture)");
        OneOf("--optimizer", OptimizerName, Optimizers);
        OneOf("--schedule", Schedule, Schedules);
        Check(Epochs >= 0, "--epochs", $"must be ≥ 0, got {Epochs}");
        Check(BatchSize >= 2, "--batch-size", $"must be ≥ 2 (contrastive losses need negatives), got {BatchSize}");
        Check(Limit is null or > 0, "--limit", $"must be > 0, got {Limit}");
        Check(ImageSize is null or >= 8, "--image-size", $"must be ≥ 8, got {ImageSize}");
        Check(Lr is null || (float.IsFinite(Lr.Value) && Lr >= 0), "--lr", $"must be a finite number ≥ 0, got {Lr}");
        Check(float.IsFinite(Momentum) && Momentum is >= 0 and < 1, "--momentum", $"must be in [0, 1), got {Momentum}");
        Check(WeightDecay is null || (float.IsFinite(WeightDecay.Value) && WeightDecay >= 0), "--weight-decay", $"must be ≥ 0, got {WeightDecay}");
        Check(WarmupEpochs is null || (float.IsFinite(WarmupEpochs.Value) && WarmupEpochs >= 0), "--warmup-epochs", $"must be ≥ 0, got {WarmupEpochs}");
        Check(Milestones.All(m => m > 0), "--milestones", "must be positive epoch numbers");
        Check(float.IsFinite(LrDecay) && LrDecay > 0, "--lr-decay", $"must be > 0, got {LrDecay}");
        foreach (var (name, value) in MethodOptions)
            if (MethodDefinition.Option(name) is { } o && o.Check(value) is string reason) throw new ArgumentException($"{o.Flag} {reason}.");
        Check(KnnK > 0, "--knn-k", $"must be > 0, got {KnnK}");
        Check(float.IsFinite(KnnTemperature) && KnnTemperature > 0, "--knn-temperature", $"must be > 0, got {KnnTemperature}");
        Check(CropScaleMin is null or (> 0 and <= 1), "--crop-scale-min", $"must be in (0, 1], got {CropScaleMin}");
        Check(JitterStrength is >= 0 and <= 2, "--jitter-strength", $"must be in [0, 2], got {JitterStrength}");
        Check(EvalLimit is null or > 0, "--eval-limit", $"must be > 0, got {EvalLimit}");
        Check(EvalEvery >= 0, "--eval-every", $"must be ≥ 0, got {EvalEvery}");
        OneOf("--knn-bank", KnnBank, KnnBanks);
        Check(EmaDecay is >= 0f and < 1f, "--ema-decay", $"must be in [0, 1), got {EmaDecay}");
        Check(SwaEpochs >= 0 && SwaEpochs <= Epochs, "--swa-epochs", $"must be in [0, --epochs = {Epochs}], got {SwaEpochs}");
        Check(Out is null || !string.IsNullOrWhiteSpace(Out), "--out", "must name a directory");
        Check(DataPath is null || !string.IsNullOrWhiteSpace(DataPath), "--data", "must name a directory, got an empty value");
        Check(Resume is null || !string.IsNullOrWhiteSpace(Resume), "--resume", "must name a run folder or checkpoint, got an empty value");
    }

    private static void OneOf(string flag, string value, IReadOnlyList<string> known)
    {
        if (!known.Contains(value.Trim().ToLowerInvariant()))
            throw new ArgumentException($"{flag}: unknown value '{value}'; expected one of: {string.Join(", ", known)}.");
    }

    private static void Check(bool ok, string flag, string what)
    {
        if (!ok) throw new ArgumentException($"{flag} {what}.");
    }

    // ---- JSON ------------------------------------------------------------------------

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // "method": null in a config.json is an error here, not a NullReferenceException later.
        RespectNullableAnnotations = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses config.json text; throws ArgumentException with the reason (and <paramref name="source"/>) when it does not fit.</summary>
    public static TrainingConfig FromJson(string json, string source = "config")
    {
        try
        {
            var config = JsonSerializer.Deserialize<TrainingConfig>(json, Json)
                ?? throw new ArgumentException($"{source}: empty configuration.");
            // A configuration written before the online probe existed describes a run without it
            // (so such a run resumes as it was trained: no probe tensors, no probe_acc column).
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object && !document.RootElement.TryGetProperty("online_probe", out _))
                config = config with { OnlineProbe = false };
            // One written before --precision existed ran every convolution in fp32.
            if (document.RootElement.ValueKind == JsonValueKind.Object && !document.RootElement.TryGetProperty("precision", out _))
                config = config with { Precision = Precisions.Format(Kernels.Families.Precision.Fp32) };
            return config;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: not a valid training configuration ({e.Message}).", e);
        }
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: configuration file not found.", path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Records compare arrays by reference; configurations compare by content.</summary>
    public bool Equals(TrainingConfig? other) => other is not null && ToJson() == other.ToJson();

    public override int GetHashCode() => ToJson().GetHashCode();
}
