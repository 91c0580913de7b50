using System.Globalization;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Cli.Profile;

/// <summary>
/// The cells of `nc profile`'s table, one row per kernel (per primitive on cpu), largest total
/// first, nested rows ("  ▸ gemm") right under the row they are part of: name, calls, total ms, mean µs, share of the measured wall
/// time, and the achieved GB/s and GFLOP/s where the launcher declared bytes or FLOPs — with
/// the share of the device's peak in parentheses when the device reports one (for GFLOP/s the peak
/// of the unit the row's FLOPs ran on: FP32 lanes, or TF32 / BF16 tensor cores). Rendered by
/// <see cref="PlainTable"/> (redirected output) or <see cref="TerminalTable"/> (Spectre.Console).
/// </summary>
internal sealed record ProfileTable(IReadOnlyList<string> Headers, IReadOnlyList<string[]> Rows)
{
    /// <summary>Columns after the first are numbers (right-aligned).</summary>
    public static bool IsNumeric(int column) => column > 0;

    public static ProfileTable From(StepProfile profile)
    {
        var report = profile.Report;
        string first = report.Entries.All(e => e.Kind == ProfileEntryKind.Primitive) && report.Entries.Count > 0 ? "primitive" : "kernel";
        var rows = report.PartsUnderParents().Select(e => new[]
        {
            e.Parent is null ? e.Name : "  ▸ " + e.Part,
            e.Calls.ToString(CultureInfo.InvariantCulture),
            Fixed(e.TotalMs, 2),
            Fixed(e.MeanUs, 1),
            Fixed(100 * e.TotalMs / profile.WallMs, 1),
            Rate(e.GigabytesPerSecond, report.PeakGigabytesPerSecond),
            Rate(e.GigaflopsPerSecond, report.PeakFor(e.Math)),
        }).ToList();
        return new ProfileTable([first, "calls", "total ms", "mean µs", "% step", "GB/s", "GFLOP/s"], rows);
    }

    private static string Fixed(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    private static string Rate(double? achieved, double? peak) => achieved switch
    {
        null => "",
        double a when peak is double p => FormattableString.Invariant($"{a:F1} ({100 * a / p:F0}%)"),
        double a => Fixed(a, 1),
    };
}
