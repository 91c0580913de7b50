using System.Globalization;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using Spectre.Console;

namespace NativeContrastive.Cli.Progress;

/// <summary>
/// A Spectre.Console progress bar over all steps of the run (description: epoch, loss, lr,
/// throughput) with finished epochs printed above it. Used only when stdout is a terminal.
/// </summary>
internal sealed class TerminalTrainingProgress : TrainingProgress
{
    private readonly IAnsiConsole console;

    public TerminalTrainingProgress(CliContext context)
    {
        console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
    }

    public override T Run<T>(Func<ITrainingObserver, T> work) =>
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => work(new Observer(ctx, console)));

    private sealed class Observer(ProgressContext ctx, IAnsiConsole console) : ITrainingObserver
    {
        private ProgressTask? task;
        private TrainingPlan? plan;

        public void Started(TrainingPlan p)
        {
            plan = p;
            console.MarkupLine(Markup.Escape($"train: {p.Description}, {p.Epochs} epochs × {p.StepsPerEpoch} steps of {p.BatchSize}, run folder {p.RunDirectory}"));
            int remaining = Math.Max(0, p.Epochs - p.FirstEpoch + 1) * p.StepsPerEpoch;
            task = ctx.AddTask("starting", maxValue: Math.Max(1, remaining));
        }

        public void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double imagesPerSecond)
        {
            if (task is null) return;
            task.Increment(1);
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{plan?.Epochs} step {stepInEpoch}/{plan?.StepsPerEpoch} loss {loss:0.000} lr {lr:0.####} {imagesPerSecond:0} img/s"));
        }

        public void Phase(string what)
        {
            if (task is not null) task.Description = Markup.Escape(what);
        }

        public void Warning(string message) => console.MarkupLine("[yellow]" + Markup.Escape("warning: " + message) + "[/]");

        public void EpochCompleted(EpochMetrics m, string checkpointPath)
        {
            string knn = m.KnnTop1 is double t1 ? string.Create(CultureInfo.InvariantCulture, $", knn top1 {t1:0.00}% top5 {m.KnnTop5:0.00}%") : "";
            string loss = double.IsNaN(m.Loss) ? "" : string.Create(CultureInfo.InvariantCulture, $" loss {m.Loss:0.####}");
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}/{plan?.Epochs}{loss}{knn}{TrainingProgress.Extras(m)}, {m.ImagesPerSecond:0} img/s, {m.Seconds:0.0}s → {checkpointPath}")));
            if (TrainingProgress.Times(m) is string times) console.MarkupLine("[grey]" + Markup.Escape(times) + "[/]");
        }
    }
}
