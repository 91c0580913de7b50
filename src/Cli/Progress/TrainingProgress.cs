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

    /// <summary>
    /// "  time 6.29s = steps 5.30 + data wait 0.06 + knn 0.86 + checkpoint 0.06 + other 0.01; wall/steps 1.19": where the
    /// epoch's wall time went (<see cref="EpochTimes"/>); null for a row without times (the --epochs 0 baseline).
    /// </summary>
    public static string? Times(EpochMetrics m) => m.Times is not { } t ? null : string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"  time {t.Wall:0.00}s = steps {t.Steps:0.00} + data wait {t.DataWait:0.00} + knn {t.Knn:0.00} + checkpoint {t.Checkpoint:0.00} + other {t.Other:0.00}; wall/steps {t.WallOverSteps:0.00}");

    /// <summary>", code_entropy 7.31, prototypes_used 1808": the method's own epoch metrics, empty when it has none.</summary>
    public static string Extras(EpochMetrics m) => m.Extra is null || m.Extra.Count == 0 ? "" :
        ", " + string.Join(", ", m.Extra.Select(kv => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.###}")));
}
