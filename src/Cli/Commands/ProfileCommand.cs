using System.CommandLine;
using System.Globalization;
using NativeContrastive.Cli.Profile;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc profile`: the configuration flags of `nc train` (all but those of the run folder and the
/// kNN monitor) plus --steps, --warmup and --out FILE.csv. Runs warm-up + measured training
/// steps through <see cref="StepProfiler"/> and prints the device, the configuration, steps/s
/// and images/s, the table of kernels (primitives on cpu) by total time (<see cref="ProfileTable"/>:
/// a Spectre.Console table on a terminal, aligned text when redirected), and the recorded time
/// against the wall time. --out also writes the table as CSV (atomically).
/// </summary>
internal static class ProfileCommand
{
    public const int DefaultSteps = 10, DefaultWarmup = 2;

    /// <summary>`nc train` flags that mean nothing here: the run folder (--out is the CSV file here), epochs and the kNN monitor.</summary>
    public static readonly IReadOnlySet<string> TrainOnlyFlags = new HashSet<string>
    {
        "--out", "--epochs", "--eval-every", "--eval-limit", "--knn-k", "--knn-temperature",
    };

    public static Command Create(CliContext context)
    {
        var bindings = TrainCommand.ConfigBindings().Where(b => !TrainOnlyFlags.Contains(b.Option.Name)).ToList();
        // The default is shown by System.CommandLine from DefaultValueFactory, so the description names none.
        var steps = Flags.Int("--steps", "Training steps to measure.", 1, null);
        steps.DefaultValueFactory = _ => DefaultSteps;
        var warmup = Flags.Int("--warmup", "Training steps before the measured ones (not profiled: JIT, pools, kernel compilation).", 0, null);
        warmup.DefaultValueFactory = _ => DefaultWarmup;
        var csv = Flags.Text("--out", "Also write the table as CSV to this file.");
        var file = TrainCommand.ConfigFileOption();

        var command = new Command("profile", "Run a few training steps and print the time of every kernel (every primitive on cpu), with GB/s and GFLOP/s.");
        foreach (var b in bindings) command.Add(b.Option);
        command.Add(steps);
        command.Add(warmup);
        command.Add(csv);
        command.Add(file);
        command.SetAction(parse =>
        {
            var config = parse.GetValue(file) is string path ? ConfigFile.Load(path) : new TrainingConfig();
            foreach (var b in bindings) config = b.Apply(parse, config);
            return Run(context, config, parse.GetValue(steps), parse.GetValue(warmup), parse.GetValue(csv));
        });
        return command;
    }

    /// <summary>Profiles and prints on <paramref name="context"/>'s output; returns the exit code.</summary>
    public static int Run(CliContext context, TrainingConfig config, int steps, int warmup, string? csvPath)
    {
        var o = context.Out;
        if (context.IsTerminal) o.WriteLine($"profiling {warmup} warm-up + {steps} measured steps on {config.Device} …");
        var p = StepProfiler.Run(config, steps, warmup, context.Cancellation);
        var r = p.Report;
        bool cpu = p.Config.Device == "cpu";

        o.WriteLine($"profile: {p.Description}, batch {p.Config.BatchSize}, {p.Config.Optimizer}, precision {Engine.Backends.Precisions.Format(p.Config.PrecisionValue)}");
        o.WriteLine($"device: {r.Device}, times by {r.Clock}; {steps} measured step{(steps == 1 ? "" : "s")} after {warmup} warm-up");
        o.WriteLine(Inv($"speed: {p.StepsPerSecond:0.###} steps/s, {p.ImagesPerSecond:0.#} images/s, {p.StepMs:0.##} ms per step, last loss {p.LastLoss:0.####}"));
        var peaks = new[]
            {
                (r.PeakGigabytesPerSecond, "GB/s memory"), (r.PeakGigaflopsPerSecond, "GFLOP/s FP32"),
                (r.PeakTf32GigaflopsPerSecond, "GFLOP/s TF32 tensor"), (r.PeakBf16GigaflopsPerSecond, "GFLOP/s BF16 tensor"),
            }
            .Where(x => x.Item1 is not null).Select(x => Inv($"{x.Item1:0} {x.Item2}")).ToList();
        if (peaks.Count > 0) o.WriteLine($"device allows: {string.Join(", ", peaks)} (the % in the rate columns)");
        o.WriteLine();

        var table = ProfileTable.From(p);
        if (context.IsTerminal) TerminalTable.Write(table, o);
        else PlainTable.Write(table, o);

        o.WriteLine(Inv($"{(cpu ? "primitive" : "device")} time: {r.TotalMs:0.##} ms of {p.WallMs:0.##} ms wall ({100 * r.TotalMs / p.WallMs:0.#}%), {r.TotalCalls} calls; ") +
            Inv($"outside {(cpu ? "primitives" : "kernels and copies")}: {p.OutsideMs:0.##} ms ({100 * p.OutsideMs / p.WallMs:0.#}%) — ") +
            (cpu ? "autograd, allocation bookkeeping and waiting for data" : "launch overhead, host work and waiting for data"));
        if (p.PeakDeviceBytes is long peak)
            o.WriteLine(Inv($"memory: peak {Mib(peak)} MiB of tensors alive at once in the measured steps, {Mib(p.HeldDeviceBytes ?? 0)} MiB held by the pool ") +
                "(bucket-rounded; kernel workspaces and cuBLAS's not included)");
        if (p.Graphs is { } g)
            o.WriteLine(Inv($"cuda graphs: {g.GraphStepMs:0.##} ms per step captured vs {g.EagerStepMs:0.##} ms eager, unprofiled ({g.Speedup:0.00}×); ") +
                Inv($"{g.Nodes} nodes per graph, {g.Updates} updated and {g.Instantiations} instantiated over the {steps} timed steps"));
        if (r.Entries.Any(e => e.Nested))
            o.WriteLine("'▸' rows are parts of the row above them and sum time over worker threads; they are not in the total.");
        if (csvPath is not null)
        {
            AtomicFile.WriteAllText(csvPath, ProfileCsv.Format(p));
            o.WriteLine($"csv: {csvPath}");
        }
        return ExitCodes.Ok;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
