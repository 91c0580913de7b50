using System.Globalization;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Cli.Progress;

/// <summary>
/// Progress for logs and pipes: a line every ~10% of an epoch and a line per finished epoch,
/// e.g. <c>epoch 2/3 step 39/78 loss 4.812 lr 0.0873 356 img/s</c>, followed by the epoch's time
/// breakdown (<see cref="TrainingProgress.Times"/>).
/// </summary>
internal sealed class PlainTrainingProgress : TrainingProgress, ITrainingObserver
{
    private readonly TextWriter output;
    private TrainingPlan? plan;

    public PlainTrainingProgress(TextWriter output) => this.output = output;

    public override T Run<T>(Func<ITrainingObserver, T> work) => work(this);

    public void Started(TrainingPlan plan)
    {
        this.plan = plan;
        string from = plan.FirstEpoch > 1 ? $", resuming at epoch {plan.FirstEpoch}" : "";
        Line($"train: {plan.Description}, {plan.Epochs} epochs × {plan.StepsPerEpoch} steps of {plan.BatchSize}{from}, run folder {plan.RunDirectory}");
    }

    public void StepCompleted(int epoch, int stepInEpoch, long globalStep, double loss, double lr, double imagesPerSecond)
    {
        int steps = plan?.StepsPerEpoch ?? 1;
        int every = Math.Max(1, (int)Math.Ceiling(steps / 10.0));
        if (stepInEpoch % every != 0 || stepInEpoch == steps) return;
        Line(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{plan?.Epochs} step {stepInEpoch}/{steps} loss {loss:0.####} lr {lr:0.#####} {imagesPerSecond:0} img/s"));
    }

    public void Phase(string what) => Line(what);

    public void Warning(string message) => Line("warning: " + message);

    public void EpochCompleted(EpochMetrics m, string checkpointPath)
    {
        string knn = m.KnnTop1 is double t1 ? string.Create(CultureInfo.InvariantCulture, $", knn top1 {t1:0.00}% top5 {m.KnnTop5:0.00}%") : "";
        string loss = double.IsNaN(m.Loss) ? "" : string.Create(CultureInfo.InvariantCulture, $" loss {m.Loss:0.####} lr {m.Lr:0.#####}");
        Line(string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{plan?.Epochs}{loss}{knn}{Extras(m)}, {m.ImagesPerSecond:0} img/s, {m.Seconds:0.0}s, checkpoint {checkpointPath}"));
        if (Times(m) is string times) Line(times);
    }

    private void Line(string s)
    {
        output.WriteLine(s);
        output.Flush();
    }
}
