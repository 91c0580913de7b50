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
/// by <see cref="Flush"/>, which the trainer calls with every checkpoint, so the files on
/// disk always describe exactly the training that the last checkpoint holds. On resume the
/// existing rows up to the checkpoint are read back and later ones dropped.
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

    /// <summary>Reads the rows already on disk with epoch ≤ <paramref name="lastEpoch"/> and step ≤ <paramref name="lastStep"/> (resume).</summary>
    public void LoadUpTo(int lastEpoch, long lastStep)
    {
        epochs.Clear();
        steps.Clear();
        if (File.Exists(metricsPath))
            foreach (var f in Rows(metricsPath, Header))
            {
                var extra = new Dictionary<string, double>();
                for (int i = 0; i < extraColumns.Count; i++)
                    if (N(f[7 + i]) is double v) extra[extraColumns[i]] = v;
                var row = new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(f[1]), D(f[2]), N(f[3]), N(f[4]), D(f[5]), D(f[6]), extra);
                if (row.Epoch <= lastEpoch) epochs.Add(row);
            }
        if (File.Exists(stepsPath))
            foreach (var f in Rows(stepsPath, StepHeader))
            {
                var row = new StepMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), D(f[2]), D(f[3]));
                if (row.Step <= lastStep) steps.Add(row);
            }
    }

    /// <summary>Rewrites both files atomically.</summary>
    public void Flush()
    {
        var m = new StringBuilder(Header).Append('\n');
        foreach (var r in epochs)
        {
            m.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{F(r.Loss)},{F(r.Lr)},{F(r.KnnTop1)},{F(r.KnnTop5)},{r.ImagesPerSecond:0.0},{r.Seconds:0.000}");
            foreach (var c in extraColumns) m.Append(',').Append(F(r.Extra is not null && r.Extra.TryGetValue(c, out var v) ? v : null));
            m.Append('\n');
        }
        AtomicFile.WriteAllText(metricsPath, m.ToString());
        var s = new StringBuilder(StepHeader).Append('\n');
        foreach (var r in steps)
            s.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{r.Step},{F(r.Loss)},{F(r.Lr)}\n");
        AtomicFile.WriteAllText(stepsPath, s.ToString());
    }

    private static string F(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "";

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static double? N(string s) => s.Length == 0 ? null : D(s);

    private static IEnumerable<string[]> Rows(string path, string header)
    {
        using var reader = new StreamReader(path);
        string? first = reader.ReadLine();
        if (first != header) throw new FormatException($"{path}: expected the header '{header}', found '{first}'.");
        int columns = header.Split(',').Length;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length != columns) throw new FormatException($"{path}: expected {columns} columns per row, found {fields.Length} in '{line}'.");
            yield return fields;
        }
    }
}
