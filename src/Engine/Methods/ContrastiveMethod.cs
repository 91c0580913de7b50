using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The contract every method shares with the trainer. Per step the trainer makes a
/// <see cref="TrainingBatch"/> of <see cref="ViewCount"/> views, calls <see cref="Loss"/>
/// (recorded on the tape), back-propagates, steps the optimiser over
/// <see cref="NamedParameters"/>, then calls <see cref="AfterOptimizerStep"/> so the method can
/// update its own state (memory bank, queue). A checkpoint holds <see cref="StateDict"/>
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

    /// <summary>Registry name ("simclr", "npid").</summary>
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

    /// <summary>Parameters and buffers of every module (prefixed), then the method's state tensors.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateDict()
        => Modules().SelectMany(m => m.Module.StateDict(m.Prefix)).Concat(MethodState());

    /// <summary>The scalar loss of a batch, recorded on the tape.</summary>
    public abstract Tensor Loss(TrainingBatch batch);

    /// <summary>State updates after the optimiser step (bank, queue); records nothing.</summary>
    public virtual void AfterOptimizerStep(TrainingBatch batch) { }

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
