using System.Diagnostics;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Kernels.Profile;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Device;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>What <see cref="StepProfiler.Run"/> measured.</summary>
/// <param name="Config">The resolved configuration (image size filled in).</param>
/// <param name="Description">"simclr resnet18 fashion-mnist (… images, C×S×S, … parameters)".</param>
/// <param name="Report">Per-kernel (or per-primitive) rows of the measured steps only.</param>
/// <param name="Wall">Wall time of the measured steps, from before the first to after the last has finished on the device.</param>
/// <param name="Graphs">With --cuda-graphs: the same steps unprofiled, eager against captured.</param>
/// <param name="PeakDeviceBytes">On a device (cuda, emu): the most bytes of tensors alive at once during the measured steps, from
/// the memory pool (bucket-rounded; the launchers' grow-only workspaces and cuBLAS's are not in it); null on the cpu.</param>
/// <param name="HeldDeviceBytes">On a device: what the pool holds from the driver after them (alive and pooled).</param>
public sealed record StepProfile(TrainingConfig Config, string Description, ProfileReport Report, int Steps, int Warmup, TimeSpan Wall, float LastLoss,
                                 GraphComparison? Graphs = null, long? PeakDeviceBytes = null, long? HeldDeviceBytes = null)
{
    public double WallMs => Wall.TotalMilliseconds;
    public double StepMs => WallMs / Steps;
    public double StepsPerSecond => Steps / Wall.TotalSeconds;
    public double ImagesPerSecond => StepsPerSecond * Config.BatchSize;

    /// <summary>Wall time not spent inside a recorded kernel or primitive: launch overhead, host work, data loading waits.</summary>
    public double OutsideMs => Math.Max(0, WallMs - Report.TotalMs);
}

/// <summary>
/// Step time without profiling, eager (one host launch per kernel) against captured (one graph per step,
/// <see cref="StepGraph"/>), over the same number of steps; the graph's node count and how many of the
/// timed steps instantiated a graph or updated a cached one.
/// </summary>
public sealed record GraphComparison(double EagerStepMs, double GraphStepMs, int Nodes, long Instantiations, long Updates)
{
    public double Speedup => EagerStepMs / GraphStepMs;
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
/// step instead, so its steps can be faster than the profile's by that row. With --cuda-graphs the
/// profiled steps are eager and <see cref="StepProfile.Graphs"/> compares them with captured ones.
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
        float loss = float.NaN;
        void Drain()
        {
            var drained = step.Drain();
            if (drained.Count > 0) loss = drained[^1].Outcome.Loss;
        }
        // The per-kernel rows are of eager steps (a captured step is timed as a whole); --cuda-graphs adds the comparison.
        var graph = step.Graph;
        if (graph is not null) graph.Enabled = false;
        long done = 0;
        int epoch = 0, inEpoch = 0;
        IEnumerator<LoaderBatch>? batches = null;
        // Steps over as many epochs as needed. The batch is made when the enumerator moves, inside the timed span.
        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                while (batches is null || !batches.MoveNext())
                {
                    if (batches is not null) { batches.Dispose(); epoch++; }
                    batches = loader.Epoch(epoch).GetEnumerator();
                    inEpoch = 0;
                }
                step.Run(batches.Current, done++, epoch + 1, ++inEpoch);
                if (step.MustDrain) Drain();   // as the trainer: one read per filled log, not per step
            }
        }
        TimeSpan Timed(int count)
        {
            Drain();
            backend.Synchronize();
            var clock = Stopwatch.StartNew();
            Steps(count);
            Drain();
            backend.Synchronize();
            return clock.Elapsed;
        }
        try
        {
            Steps(warmup);
            Drain();
            backend.Synchronize();
            profile.Reset();
            var pool = (backend as DeviceBackend)?.Pool;
            pool?.ResetPeak();
            profile.Enabled = true;
            var wall = Timed(steps);
            var report = profile.Snapshot();
            profile.Enabled = false;
            long? peak = pool?.PeakBytesInUse, held = pool?.BytesHeld;
            GraphComparison? comparison = null;
            if (graph is not null)
            {
                var eager = Timed(steps);
                graph.Enabled = true;
                Steps(1 + graph.EagerSteps);   // past the eager step, and the first capture instantiates
                var before = graph.Stats;
                var captured = Timed(steps);
                var after = graph.Stats;
                comparison = new GraphComparison(eager.TotalMilliseconds / steps, captured.TotalMilliseconds / steps, after.LastNodes,
                    after.Instantiations - before.Instantiations, after.Updates - before.Updates);
            }
            return new StepProfile(config, description, report, steps, warmup, wall, loss, comparison, peak, held);
        }
        finally
        {
            profile.Enabled = false;
            batches?.Dispose();
        }
    }
}
