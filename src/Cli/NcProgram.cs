namespace NativeContrastive.Cli;

/// <summary>Entry point of the `nc` command line (commands are added in Commands/).</summary>
public static class NcProgram
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("nc: no commands yet");
        return 2;
    }
}
