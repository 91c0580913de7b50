using System.CommandLine;
using NativeContrastive.Cli.Commands;

namespace NativeContrastive.Cli;

/// <summary>
/// Entry point of the `nc` command line. Parsing problems are one line on stderr and exit
/// code 2; errors while running go through <see cref="ErrorReporter"/> (1 for problems the
/// user can fix, 70 with a stack trace for bugs); Ctrl-C stops a run after the current step
/// and exits with 130.
/// </summary>
public static class NcProgram
{
    public static int Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        var context = CliContext.ForConsole(cts.Token);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            Console.Error.WriteLine("nc: interrupt: stopping after the current step (Ctrl-C again to abort at once)");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(args, context);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (tests call this with string writers).</summary>
    public static int Run(string[] args, CliContext context)
    {
        var root = CreateRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
            return ErrorReporter.Usage($"{parse.Errors[0].Message} (see nc {CommandPath(parse)}--help)", context.Error);
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = context.Out,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.Error.WriteLine("nc: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, context.Error);
        }
    }

    public static RootCommand CreateRoot(CliContext context)
    {
        var root = new RootCommand("nc — contrastive representation learning (SimCLR, NPID, SwAV, NNCLR, SupCon) with a native engine.")
        {
            TrainCommand.Create(context),
            KnnCommand.Create(context),
            EvalCommand.Create(context),
            LinearCommand.Create(context),
            KernelsCommand.Create(context),
            ProfileCommand.Create(context),
            EmbedCommand.Create(context),
            SearchCommand.Create(context),
            ExportCommand.Create(context),
        };
        root.SetAction(_ =>
        {
            context.Error.WriteLine("nc: error: a command is required: train, knn, eval, linear, kernels, profile, embed, search or export (see nc --help)");
            return ExitCodes.Usage;
        });
        return root;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Parent is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        return names.Count == 0 ? "" : string.Join(" ", names) + " ";
    }
}
