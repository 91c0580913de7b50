namespace NativeContrastive.Engine.Checkpoints;

/// <summary>
/// The one exception checkpoint reading and loading throw for anything wrong with a file:
/// missing or truncated, a malformed safetensors header, a tensor missing from it or of
/// another shape or dtype, a checkpoint of another architecture. A user error, not a bug:
/// the message names the file and, where a value was checked, the expected and the found
/// value. IO errors are wrapped, never leaked bare.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        FilePath = path;
    }

    /// <summary>The checkpoint file the problem was found in.</summary>
    public string FilePath { get; }
}
