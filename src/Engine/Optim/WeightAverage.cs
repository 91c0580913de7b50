using System.Globalization;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// An average of a model's weights (parameters and batch-norm statistics) kept beside the live
/// weights: each <see cref="Update"/> moves it toward the current weights, a ← d_t·a + (1 − d_t)·w
/// (<see cref="IBackend.EmaMultiUpdate"/>, one launch for every tensor). Two schedules of d_t:
/// <list type="bullet">
/// <item><see cref="Exponential"/> (EMA, --ema-decay): updated after every step. As TensorFlow's
/// ExponentialMovingAverage with num_updates, d ramps up, d_t = min(d, (1 + t)/(10 + t)), so the
/// average forgets the random initial weights within a short run instead of being dominated by
/// them (at d = 0.999 a 700-step run would otherwise keep half of its initial weights). Buffers are
/// averaged like parameters (timm's ModelEmaV2).</item>
/// <item><see cref="Uniform"/> (SWA, --swa-epochs): updated once per epoch over the last epochs,
/// d_t = t/(t + 1), the plain mean of the weights it saw (Izmailov et al. 2018); its batch-norm
/// statistics are recomputed for the averaged weights at the end (<see cref="Recalibrate"/>), as
/// torch.optim.swa_utils.update_bn does.</item>
/// </list>
/// The averages start as a copy of the weights (the uniform one replaces that at its first update).
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly (string Name, Tensor Live)[] live;
    private readonly Tensor[] averages;
    private readonly Func<long, float> decayAt;
    private readonly MultiTensorSet pairs;   // averages with the live weights as their State1: one launch per update

    private WeightAverage(string kind, IEnumerable<(string Name, Tensor Tensor)> liveState, Func<long, float> decayAt)
    {
        Kind = kind;
        this.decayAt = decayAt;
        live = liveState.ToArray();
        averages = new Tensor[live.Length];
        for (int i = 0; i < live.Length; i++)
        {
            var w = live[i].Live;
            averages[i] = Tensor.Empty(w.Backend, w.Shape);
            w.Backend.Copy(w, averages[i]);
        }
        pairs = new MultiTensorSet(averages, live.Select(l => (Tensor?)l.Live).ToArray());
    }

    /// <summary>The exponential moving average with target decay <paramref name="decay"/> in [0, 1), ramped.</summary>
    /// <param name="liveState">The weights to average, by name (the method's module state: encoder and heads).</param>
    public static WeightAverage Exponential(IEnumerable<(string Name, Tensor Tensor)> liveState, float decay)
    {
        if (!(decay >= 0f && decay < 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must be in [0, 1).");
        return new WeightAverage(ExponentialKind, liveState, t => Math.Min(decay, (float)((1.0 + t) / (10.0 + t))));
    }

    /// <summary>The uniform mean of the weights at each update (stochastic weight averaging).</summary>
    public static WeightAverage Uniform(IEnumerable<(string Name, Tensor Tensor)> liveState) =>
        new(UniformKind, liveState, t => (float)(t / (t + 1.0)));

    /// <summary>"ema" or "swa": the checkpoint prefix ("ema.encoder.conv1.weight"), the file (ema.safetensors), the metric columns.</summary>
    public string Kind { get; }

    public const string ExponentialKind = "ema", UniformKind = "swa";

    /// <summary>Checkpoint name prefix of the averages.</summary>
    public string Prefix => Kind + ".";

    private string UpdatesKey => Kind + ".updates";

    /// <summary>Updates applied so far (the t of the schedule).</summary>
    public long Updates { get; private set; }

    /// <summary>The decay of update number <paramref name="updates"/> (0-based).</summary>
    public float DecayAt(long updates) => decayAt(updates);

    /// <summary>One step of the average toward the current weights.</summary>
    public void Update()
    {
        float d = DecayAt(Updates);
        if (averages.Length > 0) averages[0].Backend.EmaMultiUpdate(pairs, d);
        Updates++;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the averaged weights in the model (for evaluation or for writing
    /// the averaged model), then puts the live weights back bit for bit, also when it throws.
    /// </summary>
    public T WithAveragedWeights<T>(Func<T> body) => Swapped(body, keepChanges: false);

    /// <summary>
    /// Runs <paramref name="recompute"/> with the averaged weights in the model and keeps what it changed
    /// in them as the new average (SWA: batch-norm statistics recomputed for the averaged weights); the
    /// live weights come back bit for bit.
    /// </summary>
    public void Recalibrate(Action recompute) => Swapped(() => { recompute(); return 0; }, keepChanges: true);

    private T Swapped<T>(Func<T> body, bool keepChanges)
    {
        var saved = new Tensor[live.Length];
        try
        {
            for (int i = 0; i < live.Length; i++)
            {
                var w = live[i].Live;
                saved[i] = Tensor.Empty(w.Backend, w.Shape);
                w.Backend.Copy(w, saved[i]);
                w.Backend.Copy(averages[i], w);
            }
            var result = body();
            if (keepChanges)
                for (int i = 0; i < live.Length; i++) live[i].Live.Backend.Copy(live[i].Live, averages[i]);
            return result;
        }
        finally
        {
            for (int i = 0; i < live.Length; i++)
                if (saved[i] is { } s)
                {
                    s.Backend.Copy(s, live[i].Live);
                    s.Dispose();
                }
        }
    }

    /// <summary>The averages, named <see cref="Prefix"/> + the weight's name (live tensors: load by copying into them).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() => live.Select((w, i) => (Prefix + w.Name, averages[i]));

    /// <summary>The update count, which a resumed run needs to continue the schedule exactly.</summary>
    public IReadOnlyDictionary<string, string> StateMetadata() =>
        new Dictionary<string, string> { [UpdatesKey] = Updates.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Restores <see cref="StateMetadata"/>; a missing or malformed count is a <see cref="FormatException"/>.</summary>
    public void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(UpdatesKey, out var text) ||
            !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long updates))
            throw new FormatException($"expected a non-negative integer '{UpdatesKey}' in the metadata, found '{text ?? "nothing"}'");
        Updates = updates;
    }

    public void Dispose()
    {
        pairs.Dispose();
        foreach (var a in averages) a.Dispose();
    }
}
