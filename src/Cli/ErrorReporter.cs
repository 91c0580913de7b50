using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli;

/// <summary>
/// Turns an exception into what the user sees. Problems the user can fix (bad data files,
/// checkpoints of another kind, invalid option values, missing files, file-system failures such as
/// a full disk, a --device this machine cannot run) are one line,
/// <c>nc: error: &lt;message&gt;</c>, exit code 1. Anything else is a bug: message and stack
/// trace, exit code 70.
/// </summary>
public static class ErrorReporter
{
    public static int Report(Exception e, TextWriter stderr)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
        // Training failed and a background checkpoint write failed too: both are said, one line each.
        if (e is AggregateException { InnerExceptions.Count: > 1 } several && several.Flatten().InnerExceptions.All(IsUserError))
        {
            foreach (var inner in several.Flatten().InnerExceptions) stderr.WriteLine($"nc: error: {OneLine(inner.Message)}");
            return ExitCodes.UserError;
        }
        if (IsUserError(e))
        {
            stderr.WriteLine($"nc: error: {OneLine(e.Message)}");
            return ExitCodes.UserError;
        }
        stderr.WriteLine($"nc: internal error: {e.GetType().FullName}: {e.Message}");
        stderr.WriteLine(e.ToString());
        return ExitCodes.InternalError;
    }

    /// <summary>A usage error (the command line does not parse): one line, exit code 2.</summary>
    public static int Usage(string message, TextWriter stderr)
    {
        stderr.WriteLine($"nc: error: {OneLine(message)}");
        return ExitCodes.Usage;
    }

    public static bool IsUserError(Exception e) => e switch
    {
        DataFormatException => true,
        FileNotFoundException or DirectoryNotFoundException => true,
        UnauthorizedAccessException => true,
        ArgumentException => true,
        CheckpointFormatException => true,
        TrainingException => true,
        Engine.Backends.DeviceUnavailableException => true,
        // The file system refused (full disk, a file where a directory should be, a read-only folder): not a bug.
        IOException => true,
        Engine.Eval.NonFiniteFeaturesException => true,
        _ => false,
    };

    private static string OneLine(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\s+", " ").Trim();
}
