using System.Globalization;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// Where an epoch's wall time went, in seconds: from the start of its first step to the moment its
/// row is complete (checkpoint snapshot taken, kNN monitor run, and after the last epoch its
/// checkpoint on disk). <see cref="Steps"/> is what `nc profile` measures per step times the
/// steps, so <see cref="WallOverSteps"/> is the overhead of everything around the steps (1.0 = none).
/// The measured parts are disjoint intervals of the wall time (<see cref="EpochStopwatch"/>), so
/// they never add up to more than <see cref="Wall"/>; <see cref="Other"/> is the rest (the method's
/// and the probe's epoch metrics, the SWA update, progress callbacks).
/// </summary>
public sealed record EpochTimes(double Wall, double Steps, double DataWait, double Knn, double Checkpoint)
{
    /// <summary>metrics.csv columns, in order; the last two are derived and not read back.</summary>
    public static readonly string[] Columns = ["wall_s", "step_s", "data_wait_s", "knn_s", "checkpoint_s", "other_s", "wall_over_steps"];

    /// <summary>Columns read back from metrics.csv (the first five); other_s and wall_over_steps follow from them.</summary>
    public const int StoredColumns = 5;

    /// <summary>Wall time not in a measured part (never negative).</summary>
    public double Other => Math.Max(0, Wall - (Steps + DataWait + Knn + Checkpoint));

    /// <summary>Wall time over the steps' time; NaN for an epoch without steps.</summary>
    public double WallOverSteps => Steps > 0 ? Wall / Steps : double.NaN;

    /// <summary>The cells of <see cref="Columns"/> (seconds with 3 decimals, the ratio with 3).</summary>
    public string[] Cells() =>
        [S(Wall), S(Steps), S(DataWait), S(Knn), S(Checkpoint), S(Other), double.IsNaN(WallOverSteps) ? "" : S(WallOverSteps)];

    /// <summary>
    /// The times of <see cref="Columns"/> cells (at least <see cref="StoredColumns"/>); null when they are
    /// all empty (an epoch written without them). Throws <see cref="FormatException"/> for anything else.
    /// </summary>
    public static EpochTimes? Parse(IReadOnlyList<string> cells)
    {
        if (Enumerable.Range(0, StoredColumns).All(i => cells[i].Length == 0)) return null;
        double Cell(int i) => double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v : throw new FormatException($"column {Columns[i]}: expected seconds (a number ≥ 0), found '{cells[i]}'.");
        return new EpochTimes(Cell(0), Cell(1), Cell(2), Cell(3), Cell(4));
    }

    private static string S(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
}
