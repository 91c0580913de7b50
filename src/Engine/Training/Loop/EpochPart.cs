namespace NativeContrastive.Engine.Training.Loop;

/// <summary>The parts of an epoch's wall time that <see cref="EpochStopwatch"/> measures; the rest is "other".</summary>
public enum EpochPart
{
    /// <summary>Queuing the training steps and reading their losses back (the drain waits for the device's queued steps).</summary>
    Steps,

    /// <summary>Waiting for the loader's next batch.</summary>
    DataWait,

    /// <summary>The kNN monitor (also on the averaged weights).</summary>
    Knn,

    /// <summary>The checkpoint on the training thread: the device→host snapshot and any wait for an earlier write.</summary>
    Checkpoint,
}
