using System.Globalization;
using System.Text.RegularExpressions;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// Temporary files of atomic writes that a killed process left behind in a run folder:
/// "&lt;name&gt;.tmp-&lt;pid&gt;" (checkpoints, <c>SafeTensorsFile.Write</c>) and
/// ".&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp" (<see cref="AtomicFile"/>), plus "last.safetensors.copy" of
/// versions that copied the last checkpoint in place. Only files of processes that no longer run
/// are removed: a running `nc eval` may be writing next to the checkpoints.
/// </summary>
public static partial class StaleTempFiles
{
    [GeneratedRegex(@"\.tmp-(\d+)$")]
    private static partial Regex CheckpointTemp();

    [GeneratedRegex(@"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex AtomicTemp();

    private const string LegacyCopy = "last" + RunFolder.CheckpointExtension + ".copy";

    /// <summary>The pid a temporary file name carries, null when the name is not one of ours.</summary>
    public static int? OwnerPid(string fileName)
    {
        var m = CheckpointTemp().Match(fileName);
        if (!m.Success) m = AtomicTemp().Match(fileName);
        return m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>Deletes the stale temporary files in <paramref name="directory"/>; returns their names.</summary>
    public static IReadOnlyList<string> Remove(string directory)
    {
        var removed = new List<string>();
        if (!Directory.Exists(directory)) return removed;
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            bool stale = name == LegacyCopy || (OwnerPid(name) is int pid && !ProcessIds.IsAlive(pid));
            if (!stale) continue;
            try
            {
                File.Delete(path);
                removed.Add(name);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }
}
