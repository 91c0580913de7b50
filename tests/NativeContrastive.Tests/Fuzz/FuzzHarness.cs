using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>What one parser did with its mutated inputs.</summary>
public sealed class FuzzReport(string parser)
{
    public string Parser { get; } = parser;
    public int Inputs { get; set; }
    public int Loaded { get; set; }
    public int DataErrors { get; set; }
    public List<string> Crashes { get; } = [];
    public List<string> Hangs { get; } = [];
    public List<string> OverAllocations { get; } = [];
    public TimeSpan Elapsed { get; set; }

    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"{Parser}: {Inputs} inputs, {Loaded} loaded, {DataErrors} data errors, {Crashes.Count} crashes, {Hangs.Count} hangs, {OverAllocations.Count} over-allocations ({Elapsed.TotalSeconds:0.0}s)");
}

/// <summary>
/// Feeds a parser mutated inputs and classifies each outcome: loaded (it returned), a data error
/// (the project's exception for bad input, as <c>isDataError</c> says), a crash (any other
/// exception), a hang (no answer within the per-input time bound) or an over-allocation (more
/// managed bytes allocated, on any thread, than <c>allocationBound</c> allows for the input).
/// Prints the counts with TestContext.Progress and fails with the first few problems and the
/// input numbers that reproduce them.
/// </summary>
public static class FuzzHarness
{
    /// <summary>Per-input time bound: generous for two shared cores; a parser that needs longer on a few hundred bytes is looping.</summary>
    public static readonly TimeSpan PerInput = TimeSpan.FromSeconds(5);

    public static FuzzReport Run(string parser, int count, Func<int, byte[]> input, Action<byte[]> parse, Func<Exception, bool> isDataError,
                                 Func<byte[], long> allocationBound)
    {
        var report = new FuzzReport(parser);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var bytes = input(i);
            report.Inputs++;
            long allocated = 0;
            Exception? error = null;
            var task = Task.Factory.StartNew(() =>
            {
                long before = GC.GetTotalAllocatedBytes(precise: false);
                try { parse(bytes); }
                catch (Exception e) { error = e; }
                allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
            }, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
            if (!task.Wait(PerInput))
            {
                report.Hangs.Add($"input {i} ({bytes.Length} bytes): no answer within {PerInput.TotalSeconds:0}s");
                Save(parser, i, "hang", bytes);
                continue;
            }
            if (error is null) report.Loaded++;
            else if (error is AggregateException { InnerExceptions.Count: 1 } agg && isDataError(agg.InnerExceptions[0])) report.DataErrors++;
            else if (isDataError(error)) report.DataErrors++;
            else
            {
                report.Crashes.Add($"input {i} ({bytes.Length} bytes): {error.GetType().FullName}: {error.Message}\n{error.StackTrace}");
                Save(parser, i, "crash", bytes);
            }
            long bound = allocationBound(bytes);
            if (allocated > bound)
            {
                report.OverAllocations.Add(string.Create(CultureInfo.InvariantCulture, $"input {i} ({bytes.Length} bytes): allocated {allocated} bytes, bound {bound}"));
                Save(parser, i, "alloc", bytes);
            }
        }
        report.Elapsed = clock.Elapsed;
        if (report.Crashes.Count + report.Hangs.Count + report.OverAllocations.Count > 0)
            TestContext.Progress.WriteLine($"{parser}: failing inputs saved under {FailureDirectory}");
        TestContext.Progress.WriteLine(report.Line);
        TestContext.Out.WriteLine(report.Line);
        return report;
    }

    /// <summary>Where failing inputs are written (one file each, named by parser, kind and input number) for a regression test.</summary>
    public static string FailureDirectory => Path.Combine(Path.GetTempPath(), "nc-fuzz-failures");

    private static void Save(string parser, int i, string kind, byte[] bytes)
    {
        Directory.CreateDirectory(FailureDirectory);
        string name = new string(parser.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
        File.WriteAllBytes(Path.Combine(FailureDirectory, $"{name}-{kind}-{i}.bin"), bytes);
    }

    /// <summary>Fails with the first problems of each kind; passes when every input loaded or was a data error.</summary>
    public static void AssertClean(FuzzReport r)
    {
        var problems = r.Crashes.Take(3).Concat(r.Hangs.Take(3)).Concat(r.OverAllocations.Take(3)).ToList();
        Assert.That(problems, Is.Empty, $"{r.Line}\n" + string.Join("\n---\n", problems));
        Assert.That(r.Loaded + r.DataErrors, Is.EqualTo(r.Inputs));
        Assert.That(r.DataErrors, Is.GreaterThan(0), "the mutations reach the parser's checks");
    }
}
