namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// Writes a run's files off the training thread, one job after another in the order given, so that
/// serialising and flushing a checkpoint overlaps the next steps instead of stalling them. A job must
/// only touch data it owns (host copies taken before <see cref="Enqueue"/>), never tensors.
/// <para>
/// A failed job is never swallowed: the jobs after it do not run (the folder keeps the files of the
/// last good write), and its exception, as thrown (e.g. an <see cref="IOException"/> naming the
/// file), is rethrown by the next <see cref="Enqueue"/>, <see cref="ThrowIfFailed"/> or
/// <see cref="Wait"/> on the training thread. The owner waits before the run ends, however it ends
/// (finished, cancelled or failed), so no write is left half done and the run lock outlives it.
/// </para>
/// </summary>
public sealed class BackgroundWriter
{
    private Task tail = Task.CompletedTask;

    /// <summary>True while a job is queued or running.</summary>
    public bool Busy => !tail.IsCompleted;

    /// <summary>Queues <paramref name="write"/> after the jobs already queued; throws first if one of them failed.</summary>
    public void Enqueue(Action write)
    {
        ThrowIfFailed();
        // The previous job's failure passes down the chain (GetResult rethrows it), so nothing after it runs.
        // LongRunning: a job blocks on the disk (flush) and must not hold a pool thread the cpu backend computes on.
        tail = tail.ContinueWith(previous =>
        {
            previous.GetAwaiter().GetResult();
            write();
        }, CancellationToken.None, TaskContinuationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Rethrows the failure of a job that has finished; does not wait.</summary>
    public void ThrowIfFailed()
    {
        if (tail.IsFaulted) tail.GetAwaiter().GetResult();
    }

    /// <summary>Waits for every queued job; rethrows the first failure.</summary>
    public void Wait() => tail.GetAwaiter().GetResult();
}
