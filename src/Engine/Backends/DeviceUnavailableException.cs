namespace NativeContrastive.Engine.Backends;

/// <summary>
/// A device named by <c>--device</c> cannot be used on this machine (no CUDA driver or GPU, no
/// NVRTC, the emulator cannot be built). A user error: the CLI prints the one-line message and
/// exits with code 1.
/// </summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
