namespace NativeContrastive.Cli;

/// <summary>Process exit codes of `nc` (BSD sysexits where one fits).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad data, missing file, invalid value: the user can fix it.</summary>
    public const int UserError = 1;
    /// <summary>The command line itself does not parse (unknown flag, bad value).</summary>
    public const int Usage = 2;
    /// <summary>EX_SOFTWARE: a bug; the stack trace is printed.</summary>
    public const int InternalError = 70;
    /// <summary>128 + SIGINT: stopped by Ctrl-C.</summary>
    public const int Interrupted = 130;
}
