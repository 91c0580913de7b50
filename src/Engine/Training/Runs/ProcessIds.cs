using System.Diagnostics;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>Whether the process that left a lock or a temporary file behind still runs.</summary>
public static class ProcessIds
{
    /// <summary>True for this process and for any other running process with id <paramref name="pid"/>.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }        // no such process
        catch (InvalidOperationException) { return false; } // exited meanwhile
    }
}
