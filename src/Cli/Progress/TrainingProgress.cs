using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Cli.Progress;

/// <summary>
/// A progress display for a training run: a Spectre.Console bar on a terminal, plain lines
/// (one per ~10% of an epoch and one per epoch) when the output is redirected.
/// </summary>
internal abstract class TrainingProgress : IDisposable
{
    public static TrainingProgress Create(CliContext context) =>
        context.IsTerminal ? new TerminalTrainingProgress(context) : new PlainTrainingProgress(context.Out);

    /// <summary>Runs <paramref name="work"/> (the training loop) with the display attached.</summary>
    public abstract T Run<T>(Func<ITrainingObserver, T> work);

    public virtual void Dispose() { }

    /// <summary>", code_entropy 7.31, prototypes_used 1808": the method's own epoch metrics, empty when it has none.</summary>
    public static string Extras(EpochMetrics m) => m.Extra is null || m.Extra.Count == 0 ? "" :
        ", " + string.Join(", ", m.Extra.Select(kv => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.###}")));
}
