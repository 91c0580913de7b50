namespace NativeContrastive.Cli;

/// <summary>
/// What a command writes to and how it is stopped: the process's console in `nc`, string
/// writers in tests. <see cref="IsTerminal"/> selects the progress bar over plain lines.
/// </summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, bool IsTerminal, CancellationToken Cancellation)
{
    public static CliContext ForConsole(CancellationToken cancellation) =>
        new(Console.Out, Console.Error, !Console.IsOutputRedirected, cancellation);
}
