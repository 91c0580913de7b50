using System.Globalization;
using System.Text;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// One row of metrics.csv. kNN values are null for epochs without evaluation; <see cref="Extra"/>
/// holds the method's own columns (its definition's EpochMetricNames), absent ones empty.
/// </summary>
public sealed record EpochMetrics(int Epoch, double Loss, double Lr, double? KnnTop1, double? KnnTop5, double ImagesPerSecond, double Seconds,
                                  IReadOnlyDictionary<string, double>? Extra = null);

/// <summary>One row of steps.csv (Step is the global optimiser step, 1-based).</summary>
public sealed record StepMetrics(int Epoch, long Step, double Loss, double Lr);

/// <summary>
/// metrics.csv (epoch, loss, lr, knn_top1, knn_top5, images_per_s, seconds, then the method's own
/// columns) and steps.csv
/// (epoch, step, loss, lr). Rows are kept in memory and both files are rewritten atomically
/// by <see cref="Flush"/>, which the trainer calls with every checkpoint. The checkpoint carries
/// the same text (<see cref="EpochCsv"/>, <see cref="StepsCsv"/>), so on resume the rows are
/// rebuilt from it (<see cref="Restore"/>) even when the files on disk fell behind it; checkpoints
/// without it read the rows on disk up to the checkpoint (<see cref="LoadUpTo"/>).
/// </summary>
public sealed class MetricsLog
{
    public const string EpochHeader = "epoch,loss,lr,knn_top1,knn_top5,images_per_s,seconds";
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

    private string Header => extraColumns.Count == 0 ? EpochHeader : EpochHeader + "," + string.Join(",", extraColumns);

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
            if (row.KnnTop1 is not null) continue;
            var written = disk.LastOrDefault(d => d.Epoch == row.Epoch);
            if (written is { KnnTop1: not null } && written.Loss.Equals(row.Loss) && written.Lr.Equals(row.Lr))
            {
                // The monitor's columns (kNN of the averaged weights among them) are the ones the checkpoint's row lacks.
                var extra = new Dictionary<string, double>(row.Extra ?? new Dictionary<string, double>());
                foreach (var (k, v) in written.Extra ?? new Dictionary<string, double>()) extra.TryAdd(k, v);
                epochs[i] = row with { KnnTop1 = written.KnnTop1, KnnTop5 = written.KnnTop5, Extra = extra };
            }
        }
    }

    /// <summary>metrics.csv's text for the rows so far.</summary>
    public string EpochCsv()
    {
        var m = new StringBuilder(Header).Append('\n');
        foreach (var r in epochs)
        {
            m.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{F(r.Loss)},{F(r.Lr)},{F(r.KnnTop1)},{F(r.KnnTop5)},{r.ImagesPerSecond:0.0},{r.Seconds:0.000}");
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
    public void Flush()
    {
        AtomicFile.WriteAllText(metricsPath, EpochCsv());
        AtomicFile.WriteAllText(stepsPath, StepsCsv());
    }

    private IEnumerable<EpochMetrics> ParseEpochs(string text, string source)
    {
        foreach (var f in Rows(text, source, Header))
        {
            var extra = new Dictionary<string, double>();
            for (int i = 0; i < extraColumns.Count; i++)
                if (N(f[7 + i]) is double v) extra[extraColumns[i]] = v;
            yield return new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(f[1]), D(f[2]), N(f[3]), N(f[4]), D(f[5]), D(f[6]), extra);
        }
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
