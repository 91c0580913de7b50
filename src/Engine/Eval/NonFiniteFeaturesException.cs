namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Features of an encoder (or of its head) hold a NaN or an infinity, so nothing computed from them
/// means anything. The message says which features, of how many images and the first of them;
/// the callers add whose weights they were (a checkpoint file, an epoch of a run).
/// </summary>
public sealed class NonFiniteFeaturesException(string message) : Exception(message);
