using System.Text;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a
/// half-written file: the bytes go to a temporary file in the same directory, are flushed to
/// disk, and the temporary file is renamed over the target (rename within a directory is
/// atomic on POSIX file systems). A failure leaves the target untouched and removes the
/// temporary file; a file-system failure (full disk, a directory where the file should be, no
/// permission) is an <see cref="IOException"/> naming the target.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            if (Directory.Exists(full)) throw new IOException($"{full} is a directory.");
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (e is IOException or UnauthorizedAccessException && !e.Message.Contains(full, StringComparison.Ordinal))
                throw new IOException($"{full}: cannot write: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="path"/> atomically (no partial copy is ever visible or left).</summary>
    public static void Copy(string source, string path) => Write(path, s =>
    {
        using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        from.CopyTo(s, 1 << 20);
    });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
}
