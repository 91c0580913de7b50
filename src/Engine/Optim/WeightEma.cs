using System.Globalization;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>
/// An exponential moving average of a model's weights (parameters and batch-norm statistics), kept
/// beside the live weights and updated after every optimiser step: a ← d·a + (1 − d)·w
/// (<see cref="IBackend.EmaUpdate"/>, one fused launch per tensor). As TensorFlow's
/// ExponentialMovingAverage with num_updates, the decay ramps up over the first updates,
/// d_t = min(d, (1 + t)/(10 + t)), so the average forgets the random initial weights within a short
/// run instead of being dominated by them (at d = 0.999 a 700-step run would otherwise keep half of
/// its initial weights). The averages start as a copy of the weights. Buffers are averaged like
/// parameters (timm's ModelEmaV2), so the batch-norm statistics match the averaged weights in the
/// same sense.
/// </summary>
public sealed class WeightEma : IDisposable
{
    /// <summary>Checkpoint name prefix of the averages ("ema.encoder.conv1.weight").</summary>
    public const string Prefix = "ema.";

    private const string UpdatesKey = "ema.updates";
    private readonly (string Name, Tensor Live)[] live;
    private readonly Tensor[] averages;

    /// <param name="liveState">The weights to average, by name (the method's module state: encoder and heads).</param>
    /// <param name="decay">The target decay d in [0, 1).</param>
    public WeightEma(IEnumerable<(string Name, Tensor Tensor)> liveState, float decay)
    {
        if (!(decay >= 0f && decay < 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must be in [0, 1).");
        Decay = decay;
        live = liveState.ToArray();
        averages = new Tensor[live.Length];
        for (int i = 0; i < live.Length; i++)
        {
            var w = live[i].Live;
            averages[i] = Tensor.Empty(w.Backend, w.Shape);
            w.Backend.Copy(w, averages[i]);
        }
    }

    /// <summary>The target decay d.</summary>
    public float Decay { get; }

    /// <summary>Updates applied so far (the t of the ramp).</summary>
    public long Updates { get; private set; }

    /// <summary>The decay of update number <paramref name="updates"/> (0-based): min(d, (1 + t)/(10 + t)).</summary>
    public float DecayAt(long updates) => Math.Min(Decay, (float)((1.0 + updates) / (10.0 + updates)));

    /// <summary>One step of the average toward the current weights.</summary>
    public void Update()
    {
        float d = DecayAt(Updates);
        for (int i = 0; i < live.Length; i++) live[i].Live.Backend.EmaUpdate(averages[i], live[i].Live, d);
        Updates++;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the averaged weights in the model (for evaluation or for writing
    /// the averaged model), then puts the live weights back bit for bit, also when it throws.
    /// </summary>
    public T WithAveragedWeights<T>(Func<T> body)
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
            return body();
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

    /// <summary>The update count, which a resumed run needs to continue the ramp exactly.</summary>
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
        foreach (var a in averages) a.Dispose();
    }
}
