using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The contract every method shares with the trainer. Per step the trainer makes a
/// <see cref="TrainingBatch"/> of <see cref="ViewCount"/> views, calls <see cref="Loss(TrainingBatch, StepInfo)"/>
/// (recorded on the tape), back-propagates, asks <see cref="BeforeOptimizerStep"/> which parameters
/// sit this step out (SwAV's frozen prototypes), steps the optimiser over
/// <see cref="NamedParameters"/>, then calls <see cref="AfterOptimizerStep(TrainingBatch, StepInfo)"/> so the method can
/// update its own state (memory bank, queue, prototype normalisation). Every hook gets the
/// step's <see cref="StepInfo"/>. A checkpoint holds <see cref="StateDict"/>
/// (tensors, live: load by copying into them) and <see cref="StateMetadata"/> (scalars),
/// which together restore the run exactly.
/// Names: the encoder's tensors are prefixed "encoder.", the heads' by their role
/// ("projector.", "embed."), method state has its own key (e.g. "memory_bank").
/// The method owns the modules it is given and disposes them with itself.
/// </summary>
public abstract class ContrastiveMethod : IDisposable
{
    private bool disposed;

    protected ContrastiveMethod(Module encoder) => Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));

    /// <summary>Registry name (its <see cref="MethodDefinition.Name"/>).</summary>
    public abstract string Name { get; }

    /// <summary>Augmented views per sample the loader must produce.</summary>
    public abstract int ViewCount { get; }

    /// <summary>The backbone whose features are evaluated (kNN, linear probe).</summary>
    public Module Encoder { get; }

    /// <summary>True in training mode (see <see cref="Train"/>).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The trained modules with their checkpoint prefixes ("encoder." first).</summary>
    protected abstract IEnumerable<(string Prefix, Module Module)> Modules();

    /// <summary>Non-parameter tensors the method keeps (e.g. "memory_bank").</summary>
    protected virtual IEnumerable<(string Name, Tensor Tensor)> MethodState() => [];

    /// <summary>Every trainable parameter, prefixed by its module's role.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedParameters()
        => Modules().SelectMany(m => m.Module.NamedParameters(m.Prefix)).ToList();

    /// <summary>The trained modules (encoder first, then the heads).</summary>
    public IEnumerable<Module> TrainedModules() => Modules().Select(m => m.Module);

    /// <summary>
    /// Parameters and buffers of every module (prefixed): the model, without the method's state tensors
    /// (bank, queue) — also what inference loads (nc embed, the library API), so a model loads without
    /// knowing the size of the training set.
    /// </summary>
    public IEnumerable<(string Name, Tensor Tensor)> ModuleStateDict()
        => Modules().SelectMany(m => m.Module.StateDict(m.Prefix));

    /// <summary>Parameters and buffers of every module (prefixed), then the method's state tensors.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateDict() => ModuleStateDict().Concat(MethodState());

    /// <summary>
    /// The module applied to encoder features whose output is the method's embedding "after the head"
    /// (SimCLR's, SwAV's, NNCLR's and SupCon's projector, NPID's embed layer, the supervised baseline's
    /// classifier); null for a method without one. <see cref="Project"/> runs it; nc export writes it
    /// to ONNX with --with-head. Its checkpoint prefix is <see cref="HeadPrefix"/>.
    /// </summary>
    public virtual Module? Head => null;

    /// <summary>Checkpoint prefix of <see cref="Head"/> ("projector.", "embed.", …); null without a head.</summary>
    public string? HeadPrefix => Head is { } head ? Modules().FirstOrDefault(m => ReferenceEquals(m.Module, head)).Prefix : null;

    /// <summary>
    /// The embedding after the method's head for encoder features [B, F] (the encoder's output,
    /// flattened): what the loss compares before any normalisation (SimCLR: the projector's z;
    /// NPID: embed(h)). Null when the method has no <see cref="Head"/>. Used by evaluation
    /// ("after the head" metrics of nc eval) and nc embed, in eval mode without recording.
    /// </summary>
    public Tensor? Project(Tensor features) => Head?.Forward(features);

    /// <summary>
    /// Once before the first step of a new run (not on resume, where the checkpoint restores the
    /// method's state): a method may look at the training data, e.g. to fill a memory bank.
    /// Returns what it did, for the progress display, or null when it did nothing.
    /// </summary>
    public virtual string? BeforeTraining(TrainingStart start) => null;

    /// <summary>The scalar loss of a batch at <paramref name="step"/>, recorded on the tape.</summary>
    public abstract Tensor Loss(TrainingBatch batch, StepInfo step);

    /// <summary>The loss of a batch outside a run (the first step of epoch 1).</summary>
    public Tensor Loss(TrainingBatch batch) => Loss(batch, StepInfo.First);

    /// <summary>
    /// After back-propagation, before the optimiser: the parameters the optimiser must leave
    /// untouched this step (no update, no momentum or weight decay), e.g. SwAV's prototypes during
    /// their first iterations. Empty by default.
    /// </summary>
    public virtual IReadOnlySet<Tensor> BeforeOptimizerStep(StepInfo step) => NoParameters;

    /// <summary>State updates after the optimiser step (bank, queue, weight renormalisation); records nothing.</summary>
    public virtual void AfterOptimizerStep(TrainingBatch batch, StepInfo step) { }

    /// <summary>AfterOptimizerStep outside a run.</summary>
    public void AfterOptimizerStep(TrainingBatch batch) => AfterOptimizerStep(batch, StepInfo.First);

    /// <summary>
    /// Reads back the metrics the method's steps left on the device (its steps queue them and read
    /// nothing, so that a step never waits for the device and can be captured as a graph); the training
    /// step calls it with its own read-back. <see cref="EndEpoch"/> drains too.
    /// </summary>
    public virtual void DrainMetrics() { }

    /// <summary>
    /// At the end of an epoch: the method's own metrics (names as its definition's
    /// EpochMetricNames) gathered since the last call, which starts a new epoch's gathering, and
    /// warnings for the user (e.g. SwAV's collapse), given the epoch's step losses.
    /// </summary>
    public virtual MethodEpochReport EndEpoch(EpochLosses losses) => MethodEpochReport.Empty;

    protected static readonly IReadOnlySet<Tensor> NoParameters = new HashSet<Tensor>();

    /// <summary>Scalars a checkpoint must carry to resume exactly (invariant-culture strings).</summary>
    public virtual IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>();

    /// <summary>Restores what <see cref="StateMetadata"/> wrote; missing keys keep their defaults.</summary>
    public virtual void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata) { }

    /// <summary>Training (true) or evaluation (false) mode for every module.</summary>
    public void Train(bool training)
    {
        IsTraining = training;
        foreach (var (_, m) in Modules()) m.Train(training);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the modules and the method's state; overrides call the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        foreach (var (_, m) in Modules()) m.Dispose();
    }
}
