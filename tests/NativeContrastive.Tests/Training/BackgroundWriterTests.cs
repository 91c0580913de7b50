using NUnit.Framework;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// <see cref="BackgroundWriter"/>: jobs run in order off the calling thread, <see cref="BackgroundWriter.Wait"/>
/// waits for the running one, and a failure is rethrown as thrown (never swallowed) with the jobs after it skipped.
/// </summary>
public class BackgroundWriterTests
{
    [Test]
    public void JobsRunInOrderOffTheCallingThreadAndWaitWaitsForThem()
    {
        var writer = new BackgroundWriter();
        var order = new List<int>();
        using var gate = new ManualResetEventSlim();
        int caller = Environment.CurrentManagedThreadId, worker = caller;
        writer.Enqueue(() =>
        {
            gate.Wait();
            worker = Environment.CurrentManagedThreadId;
            lock (order) order.Add(1);
        });
        for (int i = 2; i <= 5; i++)
        {
            int n = i;
            writer.Enqueue(() => { lock (order) order.Add(n); });
        }
        Assert.That(writer.Busy, Is.True, "the first job waits for the gate");
        lock (order) Assert.That(order, Is.Empty);
        gate.Set();
        writer.Wait();
        Assert.That(writer.Busy, Is.False);
        Assert.That(order, Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(worker, Is.Not.EqualTo(caller));
    }

    [Test]
    public void AFailureIsRethrownAsThrownAndTheJobsAfterItDoNotRun()
    {
        var writer = new BackgroundWriter();
        bool laterRan = false;
        var failure = new IOException("/run/epoch-2.safetensors: cannot write checkpoint: disk full");
        using var gate = new ManualResetEventSlim();
        writer.Enqueue(() => { gate.Wait(); throw failure; });
        writer.Enqueue(() => laterRan = true);
        gate.Set();
        var e = Assert.Throws<IOException>(() => writer.Wait());
        Assert.That(e, Is.SameAs(failure));
        Assert.That(laterRan, Is.False, "nothing is written after a failed write");
        Assert.That(Assert.Throws<IOException>(() => writer.ThrowIfFailed()), Is.SameAs(failure));
        Assert.That(Assert.Throws<IOException>(() => writer.Enqueue(() => { })), Is.SameAs(failure), "nor queued");
    }

    [Test]
    public void ThrowIfFailedDoesNotWait()
    {
        var writer = new BackgroundWriter();
        using var gate = new ManualResetEventSlim();
        writer.Enqueue(() => { gate.Wait(); throw new IOException("late"); });
        Assert.DoesNotThrow(() => writer.ThrowIfFailed(), "still running: nothing to report yet");
        gate.Set();
        Assert.Throws<IOException>(() => writer.Wait());
    }
}
