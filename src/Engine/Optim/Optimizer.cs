using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// Updates parameters from their gradients. The learning rate is passed per step so that
/// schedules stay separate (see ILearningRateSchedule). State tensors (momentum, Adam
/// moments) are named so checkpoints can save and restore them exactly.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly long[] skipped;

    protected Optimizer(IReadOnlyList<(string Name, Tensor Tensor)> parameters)
    {
        Parameters = parameters;
        skipped = new long[parameters.Count];
    }

    public IReadOnlyList<(string Name, Tensor Tensor)> Parameters { get; }

    /// <summary>Number of completed steps (Adam's bias correction uses it; saved in checkpoints).</summary>
    public long StepCount { get; set; }

    /// <summary>Applies one update with learning rate <paramref name="lr"/> to every parameter, then counts the step.</summary>
    public void Step(float lr) => Step(lr, NoneFrozen);

    /// <summary>
    /// Applies one update with learning rate <paramref name="lr"/>, leaving the parameters in
    /// <paramref name="frozen"/> and their state untouched (as a parameter whose gradient is None in
    /// PyTorch: no update, no momentum, no weight decay), then counts the step.
    /// </summary>
    public void Step(float lr, IReadOnlySet<Tensor> frozen)
    {
        active.Clear();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (frozen.Count == 0 || !frozen.Contains(Parameters[i].Tensor)) active.Add(i);
            else skipped[i]++;
        }
        if (!UpdateMany(active, lr))
            foreach (int i in active) Update(i, lr);
        StepCount++;
    }

    private readonly List<int> active = [];

    /// <summary>
    /// Updates the parameters at <paramref name="indices"/> (ascending, the step's unfrozen ones) together —
    /// the multi-tensor path (one launch per step on a device) — or returns false to have each updated by
    /// <see cref="Update"/>. The result must equal the per-parameter updates bit for bit.
    /// </summary>
    protected virtual bool UpdateMany(IReadOnlyList<int> indices, float lr) => false;

    private readonly List<(int[] Indices, MultiTensorSet Set)> multiSets = [];

    /// <summary>
    /// The <see cref="MultiTensorSet"/> of the parameters at <paramref name="indices"/> with their state
    /// (<paramref name="state1"/>, <paramref name="state2"/>, LARS's <paramref name="adapt"/> per parameter index), made once per distinct
    /// subset and kept (normally one: all parameters; others only on steps that freeze some), so a device
    /// backend uploads each table once. Null when the parameters do not all live on one backend.
    /// </summary>
    protected MultiTensorSet? MultiSet(IReadOnlyList<int> indices, Func<int, Tensor?>? state1, Func<int, Tensor?>? state2,
                                       Func<int, bool>? adapt = null)
    {
        foreach (var (known, set) in multiSets)
            if (SameIndices(known, indices)) return set;
        if (indices.Count == 0) return null;
        var backend = Parameters[indices[0]].Tensor.Backend;
        if (indices.Any(i => !ReferenceEquals(Parameters[i].Tensor.Backend, backend))) return null;
        if (multiSets.Count >= MaxMultiSets)
        {
            foreach (var (_, set) in multiSets) set.Dispose();
            multiSets.Clear();
        }
        var made = new MultiTensorSet(indices.Select(i => Parameters[i].Tensor).ToArray(),
            state1 is null ? null : indices.Select(state1).ToArray(), state2 is null ? null : indices.Select(state2).ToArray(),
            adapt is null ? null : indices.Select(adapt).ToArray());
        multiSets.Add((indices.ToArray(), made));
        return made;
    }

    private const int MaxMultiSets = 8;

    // Element-wise comparison without copying the step's index list (this runs every step).
    private static bool SameIndices(int[] known, IReadOnlyList<int> indices)
    {
        if (known.Length != indices.Count) return false;
        for (int i = 0; i < known.Length; i++)
            if (known[i] != indices[i]) return false;
        return true;
    }

    /// <summary>Updates parameter <paramref name="index"/> has received, counting the one being made (Adam's bias correction: t).</summary>
    protected long UpdatesOf(int index) => StepCount + 1 - skipped[index];

    /// <summary>Scalars the state tensors do not hold: how many steps each frozen-at-times parameter sat out ("skipped.&lt;param&gt;").</summary>
    public IReadOnlyDictionary<string, string> StateMetadata() =>
        Enumerable.Range(0, Parameters.Count).Where(i => skipped[i] != 0)
            .ToDictionary(i => SkippedPrefix + Parameters[i].Name, i => skipped[i].ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Restores what <see cref="StateMetadata"/> wrote (absent keys: never skipped).</summary>
    public void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            skipped[i] = 0;
            if (metadata.TryGetValue(SkippedPrefix + Parameters[i].Name, out var text))
            {
                if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) || n > StepCount)
                    throw new FormatException($"optimizer metadata '{SkippedPrefix + Parameters[i].Name}': expected a count of skipped steps in [0, {StepCount}], found '{text}'.");
                skipped[i] = n;
            }
        }
    }

    private const string SkippedPrefix = "skipped.";

    /// <summary>The update of parameter <paramref name="index"/> at learning rate <paramref name="lr"/> (step number: <see cref="StepCount"/> + 1).</summary>
    protected abstract void Update(int index, float lr);

    private static readonly IReadOnlySet<Tensor> NoneFrozen = new HashSet<Tensor>();

    /// <summary>Optimiser state with names unique within the optimiser (e.g. "momentum.layer1.0.conv1.weight").</summary>
    public abstract IEnumerable<(string Name, Tensor Tensor)> State();

    /// <summary>Zeroes every parameter's gradient (lazily: the next backward pass overwrites it, see <see cref="Tensor.Grad"/>).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in Parameters) p.ZeroGrad();
    }

    public virtual void Dispose()
    {
        foreach (var (_, set) in multiSets) set.Dispose();
        multiSets.Clear();
        foreach (var (_, t) in State()) t.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Learning rate as a function of the global step (0-based).</summary>
public interface ILearningRateSchedule
{
    float At(long step);
}
