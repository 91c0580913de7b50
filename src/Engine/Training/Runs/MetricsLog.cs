using System.Globalization;
using System.Text;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// One row of metrics.csv. kNN values are null for epochs without evaluation; <see cref="Extra"/>
/// holds the method's own columns (its definition's EpochMetricNames), absent ones empty.
/// <see cref="Seconds"/> is the training part of the epoch (steps to the end-of-epoch metrics);
/// <see cref="Times"/> the whole epoch's breakdown, null until the epoch is complete (and in rows
/// written before it existed).
/// </summary>
public sealed record EpochMetrics(int Epoch, double Loss, double Lr, double? KnnTop1, double? KnnTop5, double ImagesPerSecond, double Seconds,
                                  IReadOnlyDictionary<string, double>? Extra = null, EpochTimes? Times = null);

/// <summary>One row of steps.csv (Step is the global optimiser step, 1-based).</summary>
public sealed record StepMetrics(int Epoch, long Step, double Loss, double Lr);

/// <summary>
/// metrics.csv (epoch, loss, lr, knn_top1, knn_top5, images_per_s, seconds, the epoch's time breakdown
/// <see cref="EpochTimes.Columns"/>, then the extra columns) and steps.csv
/// (epoch, step, loss, lr). Rows are kept in memory and both files are rewritten atomically
/// by <see cref="Flush"/>, which the trainer calls with every checkpoint. The checkpoint carries
/// the same text (<see cref="EpochCsv"/>, <see cref="StepsCsv"/>), so on resume the rows are
/// rebuilt from it (<see cref="Restore"/>) even when the files on disk fell behind it; checkpoints
/// without it read the rows on disk up to the checkpoint (<see cref="LoadUpTo"/>). Files and checkpoints
/// from before the time breakdown (<see cref="LegacyEpochHeader"/>) are read with its cells empty.
/// </summary>
public sealed class MetricsLog
{
    /// <summary>metrics.csv's header before the extra columns.</summary>
    public static readonly string EpochHeader = LegacyEpochHeader + "," + string.Join(",", EpochTimes.Columns);

    /// <summary>The header of runs written before the time breakdown; still read.</summary>
    public const string LegacyEpochHeader = "epoch,loss,lr,knn_top1,knn_top5,images_per_s,seconds";

    private const int FixedColumns = 7;
    public const string StepHeader = "epoch,step,loss,lr";

    private readonly List<EpochMetrics> epochs = new();
    private readonly List<StepMetrics> steps = new();
    private readonly string metricsPath, stepsPath;
    private readonly IReadOnlyList<string> extraColumns;

    public MetricsLog(string metricsPath, string stepsPath, IReadOnlyList<string>? extraColumns = null)
    {
        this.metricsPath = metricsPath;
        this.stepsPath = stepsPath;
        this.extraColumns = extraColumns ?? [];
    }

    public static MetricsLog For(RunFolder folder, IReadOnlyList<string>? extraColumns = null) => new(folder.MetricsPath, folder.StepsPath, extraColumns);

    private string Header => WithExtras(EpochHeader);

    private string WithExtras(string header) => extraColumns.Count == 0 ? header : header + "," + string.Join(",", extraColumns);

    public IReadOnlyList<EpochMetrics> Epochs => epochs;

    public IReadOnlyList<StepMetrics> Steps => steps;

    public void Add(EpochMetrics row) => epochs.Add(row);

    public void Add(StepMetrics row) => steps.Add(row);

    /// <summary>Replaces the newest epoch row (the kNN monitor's result added after the checkpoint).</summary>
    public void ReplaceLast(EpochMetrics row)
    {
        if (epochs.Count == 0 || epochs[^1].Epoch != row.Epoch)
            throw new InvalidOperationException($"metrics: no row for epoch {row.Epoch} to replace.");
        epochs[^1] = row;
    }

    /// <summary>Reads the rows already on disk with epoch ≤ <paramref name="lastEpoch"/> and step ≤ <paramref name="lastStep"/> (resume).</summary>
    public void LoadUpTo(int lastEpoch, long lastStep)
    {
        epochs.Clear();
        steps.Clear();
        if (File.Exists(metricsPath)) epochs.AddRange(ParseEpochs(File.ReadAllText(metricsPath), metricsPath).Where(r => r.Epoch <= lastEpoch));
        if (File.Exists(stepsPath)) steps.AddRange(ParseSteps(File.ReadAllText(stepsPath), stepsPath).Where(r => r.Step <= lastStep));
    }

    /// <summary>
    /// Resume from a checkpoint that carries its rows (<paramref name="epochCsv"/>, <paramref name="stepsCsv"/>:
    /// the text of metrics.csv and steps.csv when it was written; <paramref name="source"/> names it in
    /// messages). The checkpoint decides which rows exist, whatever the files on disk hold (they may be
    /// behind it after a kill, or another run's). A row written before its kNN monitor finished takes the
    /// monitor's results (kNN, and the columns it adds) from metrics.csv on disk when the file has that
    /// epoch with the same loss and lr.
    /// </summary>
    public void Restore(string epochCsv, string stepsCsv, string source)
    {
        epochs.Clear();
        steps.Clear();
        epochs.AddRange(ParseEpochs(epochCsv, source + " (metrics.csv)"));
        steps.AddRange(ParseSteps(stepsCsv, source + " (steps.csv)"));
        if (!File.Exists(metricsPath)) return;
        List<EpochMetrics> disk;
        try { disk = ParseEpochs(File.ReadAllText(metricsPath), metricsPath).ToList(); }
        catch (Exception e) when (e is FormatException or IOException) { return; }   // the checkpoint's rows are complete without it
        for (int i = 0; i < epochs.Count; i++)
        {
            var row = epochs[i];
            if (row.KnnTop1 is not null && row.Times is not null) continue;
            var written = disk.LastOrDefault(d => d.Epoch == row.Epoch);
            if (written is null || !written.Loss.Equals(row.Loss) || !written.Lr.Equals(row.Lr)) continue;
            if (row.KnnTop1 is null && written.KnnTop1 is not null)
            {
                // The monitor's columns (kNN of the averaged weights among them) are the ones the checkpoint's row lacks.
                var extra = new Dictionary<string, double>(row.Extra ?? new Dictionary<string, double>());
                foreach (var (k, v) in written.Extra ?? new Dictionary<string, double>()) extra.TryAdd(k, v);
                row = row with { KnnTop1 = written.KnnTop1, KnnTop5 = written.KnnTop5, Extra = extra };
            }
            // The epoch's times are complete only after its checkpoint was taken.
            row = row with { Times = row.Times ?? written.Times };
            epochs[i] = row;
        }
    }

    /// <summary>metrics.csv's text for the rows so far.</summary>
    public string EpochCsv()
    {
        var m = new StringBuilder(Header).Append('\n');
        foreach (var r in epochs)
        {
            m.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{F(r.Loss)},{F(r.Lr)},{F(r.KnnTop1)},{F(r.KnnTop5)},{r.ImagesPerSecond:0.0},{r.Seconds:0.000}");
            foreach (var cell in r.Times?.Cells() ?? new string[EpochTimes.Columns.Length]) m.Append(',').Append(cell);
            foreach (var c in extraColumns) m.Append(',').Append(F(r.Extra is not null && r.Extra.TryGetValue(c, out var v) ? v : null));
            m.Append('\n');
        }
        return m.ToString();
    }

    /// <summary>steps.csv's text for the rows so far.</summary>
    public string StepsCsv()
    {
        var s = new StringBuilder(StepHeader).Append('\n');
        foreach (var r in steps)
            s.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{r.Step},{F(r.Loss)},{F(r.Lr)}\n");
        return s.ToString();
    }

    /// <summary>Rewrites both files atomically.</summary>
    public void Flush() => FlushLater()();

    /// <summary>
    /// Both files' text as it is now, and the action that writes it (atomically): for a writer on another
    /// thread (<see cref="BackgroundWriter"/>), which the rows added meanwhile do not reach.
    /// </summary>
    public Action FlushLater()
    {
        string epochText = EpochCsv(), stepsText = StepsCsv();
        return () =>
        {
            AtomicFile.WriteAllText(metricsPath, epochText);
            AtomicFile.WriteAllText(stepsPath, stepsText);
        };
    }

    private IEnumerable<EpochMetrics> ParseEpochs(string text, string source)
    {
        // The current header, or the one from before the time breakdown (no time cells).
        string legacy = WithExtras(LegacyEpochHeader);
        string header = FirstLine(text) == legacy ? legacy : Header;
        int timeColumns = header == legacy ? 0 : EpochTimes.Columns.Length;
        foreach (var f in Rows(text, source, header))
        {
            var extra = new Dictionary<string, double>();
            for (int i = 0; i < extraColumns.Count; i++)
                if (N(f[FixedColumns + timeColumns + i]) is double v) extra[extraColumns[i]] = v;
            EpochTimes? times;
            try { times = timeColumns == 0 ? null : EpochTimes.Parse(f[FixedColumns..]); }
            catch (FormatException e) { throw new FormatException($"{source}: epoch {f[0]}: {e.Message}", e); }
            yield return new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(f[1]), D(f[2]), N(f[3]), N(f[4]), D(f[5]), D(f[6]), extra, times);
        }
    }

    private static string? FirstLine(string text)
    {
        using var reader = new StringReader(text);
        return reader.ReadLine();
    }

    private static IEnumerable<StepMetrics> ParseSteps(string text, string source) =>
        Rows(text, source, StepHeader).Select(f => new StepMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), D(f[2]), D(f[3])));

    private static string F(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "";

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static double? N(string s) => s.Length == 0 ? null : D(s);

    private static IEnumerable<string[]> Rows(string text, string source, string header)
    {
        using var reader = new StringReader(text);
        string? first = reader.ReadLine();
        if (first != header) throw new FormatException($"{source}: expected the header '{header}', found '{first}'.");
        int columns = header.Split(',').Length;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length != columns) throw new FormatException($"{source}: expected {columns} columns per row, found {fields.Length} in '{line}'.");
            yield return fields;
        }
    }
}
