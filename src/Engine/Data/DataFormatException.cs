namespace NativeContrastive.Engine.Data;

/// <summary>
/// The one exception the data layer throws for anything wrong with data on disk: a missing
/// file or directory, a bad magic number, a truncated file, inconsistent counts, an unreadable
/// image. The message always names the file (or directory) and, where a value was checked,
/// the expected and the found value, so a user can fix the data without a debugger.
/// IO errors are wrapped, never leaked bare.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file or directory the problem was found in.</summary>
    public string FilePath { get; }
}
