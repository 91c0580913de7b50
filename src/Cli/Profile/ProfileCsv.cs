using System.Globalization;
using System.Text;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Cli.Profile;

/// <summary>
/// `nc profile --out FILE.csv`: one line per row of the report in the table's order, unrounded,
/// invariant culture, full names ("Conv2dForward ▸ gemm"):
/// name, kind (kernel/copy/primitive), nested (1: part of another row), calls, total_ms,
/// mean_us, step_percent (of the measured wall time), bytes and flops declared in all, and the
/// achieved gb_per_s and gflop_per_s (empty where nothing was declared), the precision the
/// convolutions ran at (fp32, tf32, bf16: the same on every row, so files of several runs
/// concatenate), and flops_on: what the row's FLOPs ran on (fp32 lanes, or tf32 / bf16 tensor
/// cores), whose peak its gflop_per_s is to be compared with.
/// </summary>
internal static class ProfileCsv
{
    public const string Header = "name,kind,nested,calls,total_ms,mean_us,step_percent,bytes,gb_per_s,flops,gflop_per_s,precision,flops_on";

    public static string Format(StepProfile profile)
    {
        var sb = new StringBuilder().Append(Header).Append('\n');
        string precision = Engine.Backends.Precisions.Format(profile.Config.PrecisionValue);
        foreach (var e in profile.Report.PartsUnderParents())
        {
            sb.AppendJoin(',', Quote(e.Name), e.Kind.ToString().ToLowerInvariant(), e.Nested ? "1" : "0", N(e.Calls), N(e.TotalMs), N(e.MeanUs),
                N(100 * e.TotalMs / profile.WallMs), N(e.Bytes), N(e.GigabytesPerSecond), N(e.Flops), N(e.GigaflopsPerSecond), precision,
                e.Math.ToString().ToLowerInvariant());
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string N(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
