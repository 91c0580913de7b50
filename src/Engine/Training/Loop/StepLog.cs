using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>What the host knows of a step when it launches it; the loss and the check come with <see cref="StepLog.Drain"/>.</summary>
public readonly record struct PendingStep(long GlobalStep, int Epoch, int StepInEpoch, float LearningRate);

/// <summary>A step as read back: its loss, and how many weight values were not finite after its update.</summary>
public readonly record struct LoggedStep(PendingStep Step, float Loss, int NonFiniteWeights);

/// <summary>
/// The device-side record of the last few training steps, read back in one go, so that a step never
/// waits for the device. Each <see cref="Record"/> queues two launches and no read: the step's loss
/// copied into <c>losses[slot]</c>, and the count of non-finite values over every watched weight
/// (one multi-tensor launch, <see cref="IBackend.CountNonFiniteMulti"/>) into <c>counts[slot]</c>.
/// <see cref="Drain"/> reads both arrays (the one wait), zeroes the counts and hands the steps back
/// in order. The slots hold <see cref="Capacity"/> steps: the caller drains when <see cref="IsFull"/>.
/// On the cpu backend the same path runs with reads that cost nothing, so it is tested everywhere.
/// </summary>
public sealed class StepLog : IDisposable
{
    private readonly Tensor losses;
    private readonly IntTensor counts;
    private readonly MultiTensorSet watched;
    private readonly PendingStep[] pending;
    private readonly float[] lossValues;
    private readonly int[] countValues;
    private readonly int[] zeros;
    private int used;

    /// <param name="weights">The tensors checked after every step (parameters and other trained state), all on <paramref name="backend"/>.</param>
    public StepLog(IBackend backend, IReadOnlyList<Tensor> weights, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        losses = Tensor.Zeros(backend, capacity);
        zeros = new int[capacity];
        counts = IntTensor.FromArray(backend, zeros);
        watched = new MultiTensorSet(weights);
        pending = new PendingStep[capacity];
        lossValues = new float[capacity];
        countValues = new int[capacity];
    }

    /// <summary>Steps a log holds between reads (on a GPU step of ~50 ms, one wait per 0.8 s).</summary>
    public const int DefaultCapacity = 16;

    public int Capacity { get; }

    /// <summary>Steps recorded and not yet drained.</summary>
    public int Count => used;

    public bool IsFull => used == Capacity;

    /// <summary>Queues the copy of <paramref name="loss"/> (one element) and the weight check of <paramref name="step"/>; nothing is read.</summary>
    public void Record(Tensor loss, PendingStep step)
    {
        if (IsFull) throw new InvalidOperationException($"StepLog: all {Capacity} slots hold steps not drained yet.");
        if (loss.Length != 1) throw new ArgumentException($"StepLog: a loss has one element, got shape [{string.Join(",", loss.Shape)}].");
        var backend = losses.Backend;
        backend.CopyBlocks(loss, 0, 1, losses, used, 1, 1, 1);
        backend.CountNonFiniteMulti(watched, counts, used);
        pending[used++] = step;
    }

    /// <summary>The recorded steps in order with their losses and checks (waits for the device once), and the log emptied.</summary>
    public IReadOnlyList<LoggedStep> Drain()
    {
        if (used == 0) return [];
        losses.Backend.CopyToHost(losses, lossValues);
        counts.Backend.CopyToHost(counts, countValues);
        counts.Backend.CopyFromHost(zeros, counts);
        var steps = new LoggedStep[used];
        for (int i = 0; i < used; i++) steps[i] = new LoggedStep(pending[i], lossValues[i], countValues[i]);
        used = 0;
        return steps;
    }

    public void Dispose()
    {
        watched.Dispose();
        losses.Dispose();
        counts.Dispose();
    }
}
