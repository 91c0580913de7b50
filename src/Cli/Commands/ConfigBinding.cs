using System.CommandLine.Parsing;
using System.CommandLine;
using NativeContrastive.Engine.Training.Configuration;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// One flag of `nc train` and how it changes a <see cref="TrainingConfig"/>. Flags carry no
/// defaults of their own: a flag that was not given leaves the configuration's value (the
/// defaults live in TrainingConfig only; on --resume, the checkpoint's configuration), and
/// the help text shows the default read from TrainingConfig.
/// </summary>
internal interface IConfigBinding
{
    Option Option { get; }

    /// <summary>True when the flag appears on the command line.</summary>
    bool IsGiven(ParseResult result);

    TrainingConfig Apply(ParseResult result, TrainingConfig config);
}

internal sealed class ConfigBinding<T> : IConfigBinding
{
    private readonly Option<T> option;
    private readonly Func<TrainingConfig, T, TrainingConfig> apply;

    public ConfigBinding(Option<T> option, Func<TrainingConfig, T, TrainingConfig> apply)
    {
        this.option = option;
        this.apply = apply;
    }

    public Option Option => option;

    public bool IsGiven(ParseResult result) => result.GetResult(option) is { Implicit: false };

    public TrainingConfig Apply(ParseResult result, TrainingConfig config) =>
        IsGiven(result) ? apply(config, result.GetValue(option)!) : config;
}

/// <summary>Option builders with the validation every numeric flag needs.</summary>
internal static class Flags
{
    /// <summary>
    /// A flag that takes one of <paramref name="values"/>. Any other value is a usage error (exit code 2)
    /// with one message for every enumerated flag: "--name: unknown value 'x'; expected one of: a, b, c".
    /// <paramref name="ignoreCase"/>: also accept the values in any case (the command reads the value as given).
    /// </summary>
    public static Option<string> Choice(string name, string description, IReadOnlyList<string> values, string? current, bool ignoreCase = false)
    {
        var o = new Option<string>(name) { Description = Describe(description, current) };
        o.CompletionSources.Add([.. values]);
        var comparer = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        o.Validators.Add(r =>
        {
            if (TryValue(r, out string? v) && v is not null && !values.Contains(v, comparer))
                r.AddError(UnknownValue(name, v, values));
        });
        return o;
    }

    /// <summary>The usage error of an enumerated flag given a value it does not take.</summary>
    public static string UnknownValue(string name, string value, IReadOnlyList<string> values) =>
        $"{name}: unknown value '{value}'; expected one of: {string.Join(", ", values)}";

    /// <summary>--precision: fp32, tf32 or bf16 in any case (<see cref="Engine.Backends.Precisions"/>); the help shows <paramref name="current"/> as the default.</summary>
    public static Option<string> Precision(string current = "the device's: tf32 on cuda, fp32 on cpu and emu") =>
        Choice("--precision", "Operand precision of the convolutions (fp32 accumulation either way; at bf16 a convolution's output for its batch norm is stored in bf16; weights, optimiser state, batch-norm statistics and losses stay fp32).",
            Engine.Backends.Precisions.Names, current, ignoreCase: true);

    /// <summary>A path-valued flag (--data, --out, …): an empty or blank value is a usage error naming the flag.</summary>
    public static Option<string> Text(string name, string description, string? current = null) =>
        NonEmpty(new Option<string>(name) { Description = Describe(description, current) });

    /// <summary>Adds the check that <paramref name="option"/>'s value is not empty or blank (a usage error, exit code 2).</summary>
    public static Option<string> NonEmpty(Option<string> option)
    {
        option.Validators.Add(r =>
        {
            if (TryValue(r, out string? v) && string.IsNullOrWhiteSpace(v))
                r.AddError($"{option.Name} needs a path, got an empty value.");
        });
        return option;
    }

    public static Option<int> Int(string name, string description, int min, object? current)
    {
        var o = new Option<int>(name) { Description = Describe(description, current) };
        o.Validators.Add(r =>
        {
            if (!TryValue(r, out int v)) return;
            if (v < min) r.AddError($"{name} must be ≥ {min}, got {v}.");
        });
        return o;
    }

    public static Option<float> Float(string name, string description, float min, bool exclusiveMin, object? current, float? maxExclusive = null, float? maxInclusive = null)
    {
        var o = new Option<float>(name) { Description = Describe(description, current) };
        o.Validators.Add(r =>
        {
            if (!TryValue(r, out float v)) return;
            bool ok = float.IsFinite(v) && (exclusiveMin ? v > min : v >= min) && (maxExclusive is null || v < maxExclusive) && (maxInclusive is null || v <= maxInclusive);
            if (!ok)
            {
                string range = (exclusiveMin ? $"> {min}" : $"≥ {min}") + (maxExclusive is float m ? $" and < {m}" : "") + (maxInclusive is float mi ? $" and ≤ {mi}" : "");
                r.AddError($"{name} must be {range}, got {v}.");
            }
        });
        return o;
    }

    /// <summary>
    /// The option's value, or false when the text does not convert (System.CommandLine runs
    /// validators after a failed conversion too; the conversion error is already reported).
    /// </summary>
    public static bool TryValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    public static string Describe(string description, object? current) =>
        current is null ? description : $"{description} [default: {Format(current)}]";

    public static string Format(object v) => v switch
    {
        float f => f.ToString("G", System.Globalization.CultureInfo.InvariantCulture),
        int[] a => a.Length == 0 ? "none" : string.Join(" ", a),
        bool b => b ? "on" : "off",
        _ => v.ToString() ?? "",
    };
}
