using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// Keeps an encoder's first output of a training step for a consumer that runs after the backward pass
/// (the <see cref="OnlineProbe"/>, the <see cref="ViewFeatureBank"/>). Each consumer adds its own handler to
/// <see cref="Encoder.OutputObserver"/> and removes only that one, so several watch the same step. Every
/// method encodes view 0 first, alone or with other views concatenated after it, so the first B rows of
/// the kept output are view 0's features.
/// </summary>
internal sealed class FirstOutputWatch
{
    private readonly Encoder encoder;
    private readonly Action<Tensor> observer;
    private Tensor? kept;

    public FirstOutputWatch(Encoder encoder)
    {
        this.encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        observer = h => kept ??= h;
    }

    /// <summary>Starts watching: the encoder's first output from now on is kept.</summary>
    public void Begin()
    {
        kept = null;
        Stop();
        encoder.OutputObserver += observer;
    }

    /// <summary>Stops watching (also on failure); what was kept stays until <see cref="Take"/>.</summary>
    public void Stop() => encoder.OutputObserver -= observer;

    /// <summary>
    /// Stops watching and hands over the kept output when it has at least <paramref name="rows"/> rows of the
    /// encoder's feature width (as [rows′, FeatureDim]); null otherwise.
    /// </summary>
    public Tensor? Take(int rows)
    {
        Stop();
        var h = kept;
        kept = null;
        if (h is null || rows < 1 || h.Dim(0) < rows || h.Length / h.Dim(0) != encoder.FeatureDim) return null;
        return h;
    }
}
