using System.Diagnostics;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Kernels.Profile;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>What <see cref="StepProfiler.Run"/> measured.</summary>
/// <param name="Config">The resolved configuration (image size filled in).</param>
/// <param name="Description">"simclr resnet18 fashion-mnist (… images, C×S×S, … parameters)".</param>
/// <param name="Report">Per-kernel (or per-primitive) rows of the measured steps only.</param>
/// <param name="Wall">Wall time of the measured steps, from before the first to after the last has finished on the device.</param>
public sealed record StepProfile(TrainingConfig Config, string Description, ProfileReport Report, int Steps, int Warmup, TimeSpan Wall, float LastLoss)
{
    public double WallMs => Wall.TotalMilliseconds;
    public double StepMs => WallMs / Steps;
    public double StepsPerSecond => Steps / Wall.TotalSeconds;
    public double ImagesPerSecond => StepsPerSecond * Config.BatchSize;

    /// <summary>Wall time not spent inside a recorded kernel or primitive: launch overhead, host work, data loading waits.</summary>
    public double OutsideMs => Math.Max(0, WallMs - Report.TotalMs);
}

/// <summary>
/// `nc profile`: builds what a training run builds (<see cref="RunComponents"/>: data resident on
/// the backend, the method's augmentation, encoder + head, optimiser, schedule) on a profiled device
/// (<see cref="Devices.CreateProfiled"/>), takes <c>warmup</c> training steps with the profile
/// off (JIT, pools, kernel compilation, first-touch allocations), then <c>steps</c> steps with it
/// on — the same <see cref="TrainingStep"/> the trainer takes, over as many epochs as needed —
/// and returns the profile with the wall time of the measured steps. Nothing is written. The
/// loader does not prefetch, so each step's augmentation (AugmentViews) is part of it and every
/// row is work of the measured steps; the trainer on cpu overlaps augmentation with the previous
/// step instead, so its steps can be faster than the profile's by that row.
/// </summary>
public static class StepProfiler
{
    public static StepProfile Run(TrainingConfig config, int steps, int warmup, CancellationToken cancellation = default)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"--steps must be ≥ 1, got {steps}.");
        if (warmup < 0) throw new ArgumentOutOfRangeException(nameof(warmup), $"--warmup must be ≥ 0, got {warmup}.");
        config = config.Resolve();
        using var device = Devices.CreateProfiled(config.Device);
        var (backend, profile) = (device.Backend, device.Profile);

        // No prefetch: every primitive runs on this thread inside the measured steps, so the rows add up to the wall time.
        using var session = TrainingSession.Create(config, backend, prefetch: false);
        config = session.Config;
        var (method, loader, step) = (session.Method, session.Loader, session.Step);
        string description = session.Description;

        method.Train(true);
        var clock = new Stopwatch();
        long done = 0;
        float loss = float.NaN;
        void Drain()
        {
            var drained = step.Drain();
            if (drained.Count > 0) loss = drained[^1].Outcome.Loss;
        }
        try
        {
            for (int epoch = 1; done < warmup + steps; epoch++)
            {
                int inEpoch = 0;
                // The batch is made when the enumerator moves: measuring starts before the move
                // that makes the first measured step's views.
                using var batches = loader.Epoch(epoch - 1).GetEnumerator();
                while (true)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (done == warmup && !clock.IsRunning)
                    {
                        Drain();
                        backend.Synchronize();
                        profile.Reset();
                        profile.Enabled = true;
                        clock.Start();
                    }
                    if (!batches.MoveNext()) break;
                    step.Run(batches.Current, done, epoch, ++inEpoch);
                    if (step.MustDrain) Drain();   // as the trainer: one read per filled log, not per step
                    if (++done == warmup + steps) break;
                }
            }
            Drain();
            backend.Synchronize();
            clock.Stop();
            return new StepProfile(config, description, profile.Snapshot(), steps, warmup, clock.Elapsed, loss);
        }
        finally
        {
            profile.Enabled = false;
        }
    }
}
