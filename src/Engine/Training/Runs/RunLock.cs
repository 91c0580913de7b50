using System.Globalization;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// One training process per run folder: run.lock holds the holder's process id. It is created with
/// <see cref="FileMode.CreateNew"/>, so of two processes only one succeeds; the other stops with a
/// <see cref="TrainingException"/> naming the folder and the holder's pid. A lock whose process no
/// longer runs (killed, crashed) is stale and taken over. <see cref="Dispose"/> removes it.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";

    /// <summary>A lock file without a readable pid younger than this may be in the middle of its write.</summary>
    private static readonly TimeSpan FreshUnreadable = TimeSpan.FromSeconds(10);

    private readonly string path;
    private bool released;

    private RunLock(string path) => this.path = path;

    public string Path => path;

    /// <summary>Takes the lock of <paramref name="directory"/> (which must exist) or throws naming the holder.</summary>
    public static RunLock Acquire(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                    fs.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
                    fs.Flush(flushToDisk: true);
                }
                return new RunLock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                int? holder = ReadPid(path);
                if (holder is int pid && ProcessIds.IsAlive(pid))
                    throw new TrainingException($"{directory} is in use by another training process (pid {pid}, {path}); wait for it to finish, or remove {FileName} if no such process runs.");
                if (holder is null && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < FreshUnreadable)
                    throw new TrainingException($"{directory} is being claimed by another training process ({path} has no pid yet); try again.");
                // Stale: its process is gone. Remove it and try again.
                try { File.Delete(path); } catch (FileNotFoundException) { }
            }
        }
        throw new TrainingException($"{directory}: could not take {path} (another process keeps creating it).");
    }

    /// <summary>The pid in a lock file, null when it cannot be read.</summary>
    public static int? ReadPid(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Removes the lock file if it is still this process's.</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        try
        {
            if (ReadPid(path) == Environment.ProcessId) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
