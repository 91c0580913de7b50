using NativeContrastive.Cli;

namespace NativeContrastive.Tests.Cli;

/// <summary>Runs `nc` in-process with captured output (plain progress, as when redirected).</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(params string[] args) => Run(CancellationToken.None, args);

    public static Result Run(CancellationToken cancellation, params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        int code = NcProgram.Run(args, new CliContext(o, e, IsTerminal: false, cancellation));
        return new Result(code, o.ToString(), e.ToString());
    }
}
