namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// A run cannot go on for a reason the user can act on (the loss diverged, the batch is larger
/// than the data set, a data set has no test split for the kNN monitor, a checkpoint does not
/// fit the configuration). The message says what and, where it helps, what to change.
/// </summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);
