using System.Diagnostics;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// The training loop. Per step (<see cref="TrainingStep"/>): zero the gradients, the method's
/// loss on a batch of augmented views, back-propagation through the tape, the optimiser step at
/// the schedule's learning rate, then the method's own state update (memory bank, queue,
/// prototypes), then the online probe's update, then the moving average of the weights (--ema-decay);
/// over the last --swa-epochs epochs, the weights at each epoch's end go into their mean (SWA). Per epoch the method reports its own metrics and warnings
/// (<see cref="ContrastiveMethod.EndEpoch"/>) and the probe its accuracy (probe_acc). Each
/// step's temporaries live in a <see cref="TensorScope"/>, so memory stays flat. Per epoch: a row
/// of metrics.csv, the kNN monitor when due (also on the averaged weights), and a checkpoint
/// (epoch-N + last, written atomically; older epoch checkpoints are removed; ema/swa.safetensors).
///
/// Reproducibility: the data order depends on (seed, epoch), each view's augmentation on
/// (seed, epoch, sample, view), NPID's negatives on (seed, step), and the initial weights on
/// the seed — no generator carries hidden state between steps, so a run resumed from the
/// checkpoint of epoch e continues exactly as the uninterrupted run would have.
///
/// Cancellation is checked between steps: the current step finishes, nothing is written for
/// the unfinished epoch, and the last complete checkpoint stays as it is.
/// </summary>
public static class Trainer
{
    public static TrainingResult Run(TrainingConfig config, ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        observer ??= NullTrainingObserver.Instance;
        var clock = Stopwatch.StartNew();
        config = config.Resolve();
        var backend = Devices.Create(config.Device);

        // ---- resume: the checkpoint must describe the same model --------------------
        TrainingCheckpoint? resume = null;
        if (config.Resume is string from)
        {
            resume = TrainingCheckpoint.Read(RunFolder.ResolveCheckpoint(from));
            resume.RequireCompatible(config);
        }

        // ---- data, model, optimiser, schedule -------------------------------------------
        using var session = TrainingSession.Create(config, backend, prefetch: true);
        config = session.Config;
        var (train, size, method, trainData, loader, optimizer, step) =
            (session.Train, session.ImageSize, session.Method, session.Data, session.Loader, session.Optimizer, session.Step);
        int stepsPerEpoch = session.StepsPerEpoch;

        var folder = new RunFolder(config.Out);
        folder.Create();
        var probe = session.Probe;
        var metrics = MetricsLog.For(folder, session.EpochMetricNames);
        int startEpoch = 0;
        long globalStep = 0;
        if (resume is not null)
        {
            resume.Restore(method, optimizer, probe, session.Averages);
            startEpoch = resume.Epoch;
            globalStep = resume.GlobalStep;
            if (resume.StepsPerEpoch is int saved && saved != stepsPerEpoch)
                throw new TrainingException($"{resume.Path}: expected {stepsPerEpoch} steps per epoch from the configuration, found {saved} in the checkpoint (batch size or --limit changed).");
            metrics.LoadUpTo(startEpoch, globalStep);
        }
        config.Save(folder.ConfigPath);

        observer.Started(new TrainingPlan(session.Description, startEpoch + 1, config.Epochs, stepsPerEpoch, config.BatchSize, folder.Directory));

        ImageDataset? test = null;
        ResidentDataset? testData = null;   // uploaded at the first kNN monitor, kept for the later ones
        KnnScore? lastKnn = null;
        string? checkpoint = resume is null ? null : resume.Path;
        double? finalLoss = metrics.Epochs.LastOrDefault(e => !double.IsNaN(e.Loss))?.Loss;
        double imagesPerSecond = 0;

        KnnScore? Monitor(int epoch)
        {
            test ??= RunComponents.LoadTest(config, config.EvalLimit);
            if (test is null)
            {
                observer.Phase($"kNN monitor skipped: {config.Dataset} at {config.DataPath} has no test split");
                return null;
            }
            observer.Phase($"epoch {epoch}: kNN monitor ({train.Count} bank, {test.Count} test images)");
            testData ??= new ResidentDataset(test, backend);
            return KnnMonitor.Evaluate(method.Encoder, trainData, testData, size, config.KnnK, config.KnnTemperature,
                KnnRequest.DefaultBatchSize, cancellation);
        }

        // The same monitor on each average of the weights that holds any, into the row's extra columns.
        void MonitorAverages(int epoch, Dictionary<string, double> extra)
        {
            if (test is null) return;
            foreach (var average in session.Averages.Where(a => a.Updates > 0))
            {
                observer.Phase($"epoch {epoch}: kNN monitor of the averaged weights ({average.Kind})");
                var score = average.WithAveragedWeights(() => KnnMonitor.Evaluate(method.Encoder, trainData, testData!, size, config.KnnK,
                    config.KnnTemperature, KnnRequest.DefaultBatchSize, cancellation));
                var columns = TrainingSession.KnnColumns(average.Kind);
                extra[columns[0]] = score.Top1;
                extra[columns[1]] = score.Top5;
            }
        }

        void Save(int epoch, EpochMetrics row)
        {
            observer.Phase($"epoch {epoch}: writing checkpoint");
            var meta = TrainingCheckpoint.Metadata(config, method, optimizer, train.Channels, epoch, globalStep, stepsPerEpoch, probe, session.Averages);
            string path = folder.EpochCheckpointPath(epoch);
            TrainingCheckpoint.Write(path, method, optimizer, meta, probe, session.Averages);
            foreach (var average in session.Averages.Where(a => a.Updates > 0))
                TrainingCheckpoint.WriteAveraged(folder.AveragedCheckpointPath(average.Kind), method, average, meta);
            File.Copy(path, folder.LastCheckpointPath + ".copy", overwrite: true);
            File.Move(folder.LastCheckpointPath + ".copy", folder.LastCheckpointPath, overwrite: true);
            folder.PruneEpochCheckpoints(keep: epoch);
            metrics.Add(row);
            metrics.Flush();
            Plots.Write(folder, metrics.Epochs, $"{config.Method} {config.Arch} {config.Dataset}");
            checkpoint = folder.LastCheckpointPath;
            observer.EpochCompleted(row, checkpoint);
        }

        try
        {
            if (resume is null && config.Epochs > 0 && method.BeforeTraining(new TrainingStart(trainData, size, config.BatchSize)) is string prepared)
                observer.Phase(prepared);

            // ---- --epochs 0: the randomly initialised encoder as a baseline --------------------
            if (config.Epochs == 0 && resume is null)
            {
                method.Train(false);
                lastKnn = Monitor(0);
                Save(0, new EpochMetrics(0, double.NaN, 0, lastKnn?.Top1, lastKnn?.Top5, 0, clock.Elapsed.TotalSeconds));
            }

            for (int epoch = startEpoch + 1; epoch <= config.Epochs; epoch++)
            {
                if (cancellation.IsCancellationRequested) break;
                method.Train(true);
                var epochClock = Stopwatch.StartNew();
                double lossSum = 0, lossMin = double.PositiveInfinity, lossMax = double.NegativeInfinity;
                int steps = 0;
                float lr = 0;
                foreach (var lb in loader.Epoch(epoch - 1))
                {
                    var outcome = step.Run(lb, globalStep, epoch, steps + 1);
                    lr = outcome.LearningRate;
                    globalStep++;
                    steps++;
                    lossSum += outcome.Loss;
                    lossMin = Math.Min(lossMin, outcome.Loss);
                    lossMax = Math.Max(lossMax, outcome.Loss);
                    metrics.Add(new StepMetrics(epoch, globalStep, outcome.Loss, lr));
                    imagesPerSecond = steps * (double)config.BatchSize / epochClock.Elapsed.TotalSeconds;
                    observer.StepCompleted(epoch, steps, globalStep, outcome.Loss, lr, imagesPerSecond);
                    if (cancellation.IsCancellationRequested) break;
                }
                if (cancellation.IsCancellationRequested) break;

                double trainSeconds = epochClock.Elapsed.TotalSeconds;
                imagesPerSecond = steps * (double)config.BatchSize / trainSeconds;
                finalLoss = lossSum / steps;
                var report = method.EndEpoch(new EpochLosses(finalLoss.Value, lossMin, lossMax, steps));
                var extra = new Dictionary<string, double>(report.Metrics);
                if (probe is not null) foreach (var (k, v) in probe.EndEpoch()) extra[k] = v;
                foreach (var warning in report.Warnings) observer.Warning($"epoch {epoch}: {warning}");
                if (session.Swa is { } swa && epoch > config.Epochs - config.SwaEpochs)
                {
                    swa.Update();
                    if (epoch == config.Epochs)
                    {
                        observer.Phase($"epoch {epoch}: batch-norm statistics of the SWA weights (mean of {swa.Updates} epochs)");
                        swa.Recalibrate(() => BatchNormRecalibration.Run(method, trainData, KnnRequest.DefaultBatchSize, size));
                    }
                }
                bool evaluate = epoch == config.Epochs || (config.EvalEvery > 0 && epoch % config.EvalEvery == 0);
                KnnScore? knn = null;
                if (evaluate)
                {
                    method.Train(false);
                    try
                    {
                        knn = Monitor(epoch);
                        MonitorAverages(epoch, extra);
                    }
                    catch (OperationCanceledException) { break; }
                    lastKnn = knn ?? lastKnn;
                }
                Save(epoch, new EpochMetrics(epoch, finalLoss.Value, lr, knn?.Top1, knn?.Top5, imagesPerSecond, epochClock.Elapsed.TotalSeconds, extra));
            }
        }
        finally
        {
            testData?.Dispose();
        }

        bool cancelled = cancellation.IsCancellationRequested;
        int done = metrics.Epochs.Count == 0 ? 0 : metrics.Epochs[^1].Epoch;
        if (!cancelled && lastKnn is null && metrics.Epochs.LastOrDefault(e => e.KnnTop1 is not null) is { } last)
            lastKnn = new KnnScore(last.KnnTop1!.Value, last.KnnTop5!.Value, 0, 0);
        Tape.Clear();
        return new TrainingResult(config, cancelled, done, globalStep, finalLoss, lastKnn, imagesPerSecond, clock.Elapsed, checkpoint, folder.Directory);
    }

    /// <summary>The configuration stored in a checkpoint (what --resume continues with).</summary>
    public static TrainingConfig ConfigOfCheckpoint(string checkpointPath) => TrainingCheckpoint.Read(checkpointPath).Config;
}
