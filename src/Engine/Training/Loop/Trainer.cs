using System.Diagnostics;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// The training loop. Per step (<see cref="TrainingStep"/>): zero the gradients, the method's
/// loss on a batch of augmented views, back-propagation through the tape, the optimiser step at
/// the schedule's learning rate, then the method's own state update (memory bank, queue,
/// prototypes), then the online probe's update, then the moving average of the weights (--ema-decay);
/// over the last --swa-epochs epochs, the weights at each epoch's end go into their mean (SWA). Per epoch the method reports its own metrics and warnings
/// (<see cref="ContrastiveMethod.EndEpoch"/>) and the probe its accuracy (probe_acc). Each
/// step's temporaries live in a <see cref="TensorScope"/>, so memory stays flat. Per epoch: a
/// checkpoint (epoch-N + last, written atomically, carrying metrics.csv and steps.csv; older epoch
/// checkpoints are removed; ema/swa.safetensors), its row of metrics.csv, then the kNN monitor when
/// due (also on the averaged weights), whose result is
/// added to the row afterwards — a failed or interrupted monitor never costs the trained epoch,
/// and a resume runs a monitor that did not finish.
///
/// Checkpoints leave the critical path: the device→host copy is taken at the checkpoint point
/// (<see cref="CheckpointSnapshot"/>), the files are written by a <see cref="BackgroundWriter"/> while
/// the next steps (or the monitor) run. The next checkpoint waits for the previous write, and so does the
/// end of the run however it ends (last epoch, cancellation, an exception); a failed write fails the run
/// with its file named. Each epoch's wall time is broken down (<see cref="EpochTimes"/>: steps, data wait,
/// kNN, checkpoint, other) into its row and the observer's report.
///
/// The run folder (<see cref="RunFolder.Claim"/>): --out, or on --resume the checkpoint's folder
/// wherever it is now, or the next free runs/&lt;method&gt;-NNN; locked for this process
/// (<see cref="RunLock"/>); a folder holding another run is refused unless --force; temporary
/// files of killed processes are removed. Every split is loaded and checked before the first step.
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
        bool precisionGiven = config.Precision is not null;
        config = config.Resolve();

        // ---- resume: the checkpoint must describe the same model --------------------
        TrainingCheckpoint? resume = null;
        if (config.Resume is string from)
        {
            resume = TrainingCheckpoint.Read(RunFolder.ResolveCheckpoint(from));
            // No precision asked for: the run continues with the one it was trained with, not the device's default.
            if (!precisionGiven) config = config with { Precision = Precisions.Format(resume.Precision) };
            resume.RequireCompatible(config);
        }

        // ---- the run folder, locked for this process ---------------------------------------
        var (folder, runLock, created) = ClaimFolder(config, resume);
        config = config with { Out = config.Out ?? (resume is null ? Path.GetRelativePath(Environment.CurrentDirectory, folder.Directory) : folder.Directory) };
        bool finished = false;
        try
        {
            var result = Run(config, resume, folder, observer, clock, cancellation);
            finished = true;
            return result;
        }
        finally
        {
            runLock.Dispose();
            if (!finished && created) folder.RemoveIfEmpty();
        }
    }

    /// <summary>--out, else the resumed checkpoint's folder, else the next numbered one; claimed and cleaned of stale temporary files.</summary>
    private static (RunFolder, RunLock, bool) ClaimFolder(TrainingConfig config, TrainingCheckpoint? resume)
    {
        string? checkpointDir = resume is null ? null : Path.GetDirectoryName(resume.Path);
        var claim = config.Out is null && checkpointDir is null
            ? RunFolder.ClaimNumbered(TrainingConfig.RunsDirectory, config.Method)
            : RunFolder.Claim(config.Out ?? checkpointDir!,
                continuing: checkpointDir is not null && Path.GetFullPath(config.Out ?? checkpointDir) == Path.GetFullPath(checkpointDir),
                force: config.Force);
        try
        {
            StaleTempFiles.Remove(claim.Folder.Directory);
            return claim;
        }
        catch
        {
            claim.Lock.Dispose();
            throw;
        }
    }

    private static TrainingResult Run(TrainingConfig config, TrainingCheckpoint? resume, RunFolder folder, ITrainingObserver observer,
        Stopwatch clock, CancellationToken cancellation)
    {
        var backend = Devices.Create(config.Device);

        // ---- data, model, optimiser, schedule -------------------------------------------
        using var session = TrainingSession.Create(config, backend, prefetch: true);
        config = session.Config;
        var (train, size, method, trainData, loader, optimizer, step) =
            (session.Train, session.ImageSize, session.Method, session.Data, session.Loader, session.Optimizer, session.Step);
        int stepsPerEpoch = session.StepsPerEpoch;

        // ---- every split is read and checked before the first step -----------------------
        var (test, skipMonitor) = LoadMonitorSplit(config, train);

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
            if (resume.MetricsCsv is string epochCsv && resume.StepsCsv is string stepsCsv)
            {
                try { metrics.Restore(epochCsv, stepsCsv, resume.Path); }
                catch (FormatException e) { throw new CheckpointFormatException(resume.Path, e.Message); }
            }
            else metrics.LoadUpTo(startEpoch, globalStep);
        }
        config.Save(folder.ConfigPath);

        observer.Started(new TrainingPlan(session.Description, startEpoch + 1, config.Epochs, stepsPerEpoch, config.BatchSize, folder.Directory));

        ResidentDataset? testData = null;   // uploaded at the first kNN monitor, kept for the later ones
        KnnScore? lastKnn = null;
        string? checkpoint = resume is null ? null : resume.Path;
        double? finalLoss = metrics.Epochs.LastOrDefault(e => !double.IsNaN(e.Loss))?.Loss;
        double imagesPerSecond = 0;
        string title = $"{config.Method} {config.Arch} {config.Dataset}";

        bool Due(int epoch) => epoch == config.Epochs || (config.EvalEvery > 0 && epoch > 0 && epoch % config.EvalEvery == 0);

        // Files are written off the training thread, in order; rows and plots go with the text of the moment.
        var writer = new BackgroundWriter();
        var written = new System.Collections.Concurrent.ConcurrentQueue<int>();   // epochs whose checkpoint files are complete
        void Announce()
        {
            while (written.TryDequeue(out int epoch)) observer.CheckpointWritten(epoch, folder.LastCheckpointPath);
        }
        void Publish(bool plots)
        {
            var flush = metrics.FlushLater();
            var rows = metrics.Epochs.ToList();
            writer.Enqueue(() =>
            {
                flush();
                if (plots) Plots.Write(folder, rows, title);
            });
        }

        // An epoch is complete: its row and plots queued for writing, the observer told, finished checkpoint writes announced.
        void Complete(EpochMetrics row)
        {
            Publish(plots: true);
            observer.EpochCompleted(row, checkpoint!);
            Announce();
        }

        KnnScore? Monitor(int epoch)
        {
            if (test is null)
            {
                observer.Phase($"kNN monitor skipped: {skipMonitor}");
                return null;
            }
            testData ??= new ResidentDataset(test, backend);
            // --knn-bank views: the rows the steps wrote since the last monitor (none after a resume: then the images).
            int[] viewRows = session.ViewBank?.TakeWrittenRows() ?? [];
            try
            {
                if (viewRows.Length > 0)
                {
                    observer.Phase($"epoch {epoch}: kNN monitor ({viewRows.Length} training views of the epoch as the bank, {test.Count} test images)");
                    return KnnMonitor.Evaluate(method.Encoder, session.ViewBank!, viewRows, train, testData, size, config.KnnK, config.KnnTemperature,
                        KnnRequest.DefaultBatchSize, cancellation);
                }
                observer.Phase($"epoch {epoch}: kNN monitor ({train.Count} bank, {test.Count} test images)");
                return KnnMonitor.Evaluate(method.Encoder, trainData, testData, size, config.KnnK, config.KnnTemperature,
                    KnnRequest.DefaultBatchSize, cancellation);
            }
            catch (Eval.NonFiniteFeaturesException e)
            {
                throw new TrainingException($"epoch {epoch}: kNN monitor: {e.Message}: the weights overflow; try a smaller --lr or more --warmup-epochs.", e);
            }
        }

        // The same monitor on each average of the weights that holds any, into the row's extra columns.
        void MonitorAverages(int epoch, Dictionary<string, double> extra)
        {
            if (test is null) return;
            foreach (var average in session.Averages.Where(a => a.Updates > 0))
            {
                observer.Phase($"epoch {epoch}: kNN monitor of the averaged weights ({average.Kind})");
                KnnScore score;
                try
                {
                    score = average.WithAveragedWeights(() => KnnMonitor.Evaluate(method.Encoder, trainData, testData!, size, config.KnnK,
                        config.KnnTemperature, KnnRequest.DefaultBatchSize, cancellation));
                }
                catch (Eval.NonFiniteFeaturesException e)
                {
                    throw new TrainingException($"epoch {epoch}: kNN monitor of the averaged weights ({average.Kind}): {e.Message}.", e);
                }
                var columns = TrainingSession.KnnColumns(average.Kind);
                extra[columns[0]] = score.Top1;
                extra[columns[1]] = score.Top5;
            }
        }

        // The epoch's checkpoint (carrying metrics.csv and steps.csv with its row): the state copied to the host
        // now, the files written in the background after the previous write has finished (one snapshot in memory at a time).
        void Save(int epoch, EpochMetrics row)
        {
            observer.Phase($"epoch {epoch}: checkpoint");
            writer.Wait();
            Announce();
            metrics.Add(row);
            var meta = TrainingCheckpoint.Metadata(config, method, optimizer, train.Channels, epoch, globalStep, stepsPerEpoch, probe, session.Averages);
            meta[TrainingCheckpoint.MetricsCsvKey] = metrics.EpochCsv();
            meta[TrainingCheckpoint.StepsCsvKey] = metrics.StepsCsv();
            var snapshot = CheckpointSnapshot.Take(epoch, method, optimizer, meta, probe, session.Averages);
            writer.Enqueue(() =>
            {
                snapshot.Write(folder);
                written.Enqueue(epoch);
            });
            Publish(plots: false);
            checkpoint = folder.LastCheckpointPath;
        }

        // The kNN monitor of a checkpointed epoch when due; its result added to the epoch's row (written by the
        // caller's Publish). False when interrupted. Its time goes to the epoch's knn part when timed.
        bool MonitorSaved(int epoch, EpochStopwatch? times, out EpochMetrics row)
        {
            row = metrics.Epochs[^1];
            if (!Due(epoch)) return true;
            method.Train(false);
            KnnScore? knn;
            var extra = new Dictionary<string, double>(row.Extra ?? new Dictionary<string, double>());
            try
            {
                using var lap = times?.Measure(EpochPart.Knn);
                knn = Monitor(epoch);
                MonitorAverages(epoch, extra);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { return false; }
            if (knn is null) return true;
            lastKnn = knn;
            row = row with { KnnTop1 = knn.Top1, KnnTop5 = knn.Top5, Extra = extra };
            metrics.ReplaceLast(row);
            return true;
        }

        try
        {
            // ---- a resumed run whose last kNN monitor did not finish: run it first -------------
            if (resume is not null && metrics.Epochs.Count > 0 && metrics.Epochs[^1] is { KnnTop1: null } pending && pending.Epoch == startEpoch
                && (startEpoch > 0 || config.Epochs == 0) && test is not null && Due(startEpoch))
            {
                if (MonitorSaved(startEpoch, null, out var row)) Complete(row);
            }

            if (resume is null && config.Epochs > 0 && method.BeforeTraining(new TrainingStart(trainData, size, config.BatchSize)) is string prepared)
                observer.Phase(prepared);

            // ---- --epochs 0: the randomly initialised encoder as a baseline --------------------
            if (config.Epochs == 0 && resume is null)
            {
                method.Train(false);
                Save(0, new EpochMetrics(0, double.NaN, 0, null, null, 0, clock.Elapsed.TotalSeconds));
                if (MonitorSaved(0, null, out var row)) Complete(row);
            }

            for (int epoch = startEpoch + 1; epoch <= config.Epochs; epoch++)
            {
                if (cancellation.IsCancellationRequested) break;
                var times = new EpochStopwatch();
                method.Train(true);
                var epochClock = Stopwatch.StartNew();
                double lossSum = 0, lossMin = double.PositiveInfinity, lossMax = double.NegativeInfinity;
                int steps = 0;
                float lr = 0;
                var sinceDrain = Stopwatch.StartNew();
                // The steps' losses come back from the device in batches (TrainingStep.Drain): when the log is
                // full, about once a second for the progress display, and before the epoch's results are used.
                void Report()
                {
                    // A background write that failed fails the run now, not at the next checkpoint.
                    writer.ThrowIfFailed();
                    Announce();
                    IReadOnlyList<(PendingStep, StepOutcome)> drained;
                    using (times.Measure(EpochPart.Steps)) drained = step.Drain();
                    foreach (var (logged, outcome) in drained)
                    {
                        // Steps queued after a stop request ran, but are neither reported nor kept (the epoch is not saved).
                        if (cancellation.IsCancellationRequested) break;
                        lr = outcome.LearningRate;
                        lossSum += outcome.Loss;
                        lossMin = Math.Min(lossMin, outcome.Loss);
                        lossMax = Math.Max(lossMax, outcome.Loss);
                        metrics.Add(new StepMetrics(epoch, logged.GlobalStep + 1, outcome.Loss, lr));
                        imagesPerSecond = logged.StepInEpoch * (double)config.BatchSize / epochClock.Elapsed.TotalSeconds;
                        observer.StepCompleted(epoch, logged.StepInEpoch, logged.GlobalStep + 1, outcome.Loss, lr, imagesPerSecond);
                    }
                    sinceDrain.Restart();
                }
                using var batches = loader.Epoch(epoch - 1).GetEnumerator();
                while (true)
                {
                    LoaderBatch lb;
                    using (times.Measure(EpochPart.DataWait))
                    {
                        if (!batches.MoveNext()) break;
                        lb = batches.Current;
                    }
                    using (times.Measure(EpochPart.Steps)) step.Run(lb, globalStep, epoch, steps + 1);
                    globalStep++;
                    steps++;
                    if (step.MustDrain || sinceDrain.ElapsedMilliseconds >= 1000) Report();
                    if (cancellation.IsCancellationRequested) break;
                }
                Report();
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
                var trained = new EpochMetrics(epoch, finalLoss.Value, lr, null, null, imagesPerSecond, epochClock.Elapsed.TotalSeconds, extra);
                using (times.Measure(EpochPart.Checkpoint)) Save(epoch, trained);
                if (!MonitorSaved(epoch, times, out var row)) break;
                // After the last epoch the run waits for its checkpoint: that wait is the epoch's, not hidden after it.
                if (epoch == config.Epochs)
                    using (times.Measure(EpochPart.Checkpoint)) writer.Wait();
                row = row with { Times = times.Stop() };
                metrics.ReplaceLast(row);
                Complete(row);
            }
        }
        catch (Exception failure)
        {
            // Whatever failed, the queued writes finish first (no half-written file, the run lock held until then);
            // a write that failed as well is reported with it rather than lost.
            try { writer.Wait(); }
            catch (Exception writeFailure) when (!ReferenceEquals(writeFailure, failure))
            {
                throw new AggregateException(failure, writeFailure);
            }
            catch (Exception) { }
            throw;
        }
        finally
        {
            testData?.Dispose();
        }
        // Finished or cancelled: the last writes (metrics, plots) complete before the result says they exist.
        writer.Wait();
        Announce();

        bool cancelled = cancellation.IsCancellationRequested;
        int done = metrics.Epochs.Count == 0 ? 0 : metrics.Epochs[^1].Epoch;
        if (!cancelled && lastKnn is null && metrics.Epochs.LastOrDefault(e => e.KnnTop1 is not null) is { } last)
            lastKnn = new KnnScore(last.KnnTop1!.Value, last.KnnTop5!.Value, 0, 0);
        Tape.Clear();
        return new TrainingResult(config, cancelled, done, globalStep, finalLoss, lastKnn, imagesPerSecond, clock.Elapsed, checkpoint, folder.Directory);
    }

    /// <summary>
    /// The kNN monitor's test split, loaded (and so checked) before training, or null with the reason
    /// the monitor is skipped: no test split, or no labels to vote with or score against.
    /// </summary>
    private static (ImageDataset? Test, string? SkipReason) LoadMonitorSplit(TrainingConfig config, ImageDataset train)
    {
        var test = RunComponents.LoadTest(config, config.EvalLimit);
        if (test is null) return (null, $"{config.Dataset} at {config.DataPath} has no test split");
        if (test.Channels != train.Channels)
            throw new TrainingException($"{test.Name}: the test images have {test.Channels} channels, the training images {train.Channels}.");
        if (!train.IsLabeled) return (null, $"the training split of {train.Name} has no labels to vote with");
        if (!test.IsLabeled) return (null, $"the test split of {test.Name} has no labels to score against");
        return (test, null);
    }

    /// <summary>The configuration stored in a checkpoint (what --resume continues with).</summary>
    public static TrainingConfig ConfigOfCheckpoint(string checkpointPath) => TrainingCheckpoint.Read(checkpointPath).Config;
}
