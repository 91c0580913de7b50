namespace NativeContrastive.Engine.Methods;

/// <summary>The step losses of an epoch, summarised for <see cref="ContrastiveMethod.EndEpoch"/>.</summary>
public sealed record EpochLosses(double Mean, double Min, double Max, int Steps);

/// <summary>What a method reports at the end of an epoch: extra metrics.csv columns and warnings for the user.</summary>
public sealed record MethodEpochReport(IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<string> Warnings)
{
    public static MethodEpochReport Empty { get; } = new(new Dictionary<string, double>(), []);
}
