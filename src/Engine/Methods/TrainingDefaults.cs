namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The optimisation settings a method trains with unless the configuration says otherwise
/// (`--optimizer`, `--lr`, `--weight-decay`, `--warmup-epochs`): each method's recipe, chosen so
/// that its defaults learn on the default data set and budget (docs/RESULTS.md).
/// </summary>
public sealed record TrainingDefaults(string Optimizer, float Lr, float WeightDecay, float WarmupEpochs)
{
    /// <summary>Adam, lr 1e-3, weight decay 1e-6, no warm-up: what the small-encoder demos use.</summary>
    public static TrainingDefaults Adam { get; } = new("adam", 1e-3f, 1e-6f, 0f);
}
