using System.Globalization;

namespace NativeContrastive.Engine.Methods;

/// <summary>The value type of a <see cref="MethodOption"/> (decides the command-line flag's type).</summary>
public enum MethodOptionKind { Int, Float, Bool, Text }

/// <summary>
/// One setting a method declares: its name (the configuration key and, with "--", the command-line
/// flag), its help text, its default and its validation. Values travel as invariant-culture text
/// (config.json's "method_options", checkpoints), so a run folder states exactly what ran;
/// <see cref="MethodOption{T}"/> parses and formats them. The default written here is the only
/// default of the setting: the method's options record, the configuration and the help text all
/// read it from the declaration.
/// </summary>
public abstract class MethodOption
{
    protected MethodOption(string name, string help)
    {
        if (string.IsNullOrWhiteSpace(name) || name.StartsWith('-') || name.Any(char.IsUpper))
            throw new ArgumentException($"Method option names are lower-case kebab-case without dashes in front, got '{name}'.");
        Name = name;
        Help = help;
    }

    /// <summary>Kebab-case key, e.g. "negatives"; the flag is "--negatives".</summary>
    public string Name { get; }

    public string Flag => "--" + Name;

    public string Help { get; }

    public abstract MethodOptionKind Kind { get; }

    /// <summary>The default as configuration text.</summary>
    public abstract string DefaultText { get; }

    /// <summary>Null when <paramref name="text"/> is a valid value, else the reason ("must be ≥ 1, got 0").</summary>
    public abstract string? Check(string text);

    public static MethodOption<int> Int(string name, int @default, string help, int min = int.MinValue, int max = int.MaxValue) =>
        new(name, help, MethodOptionKind.Int, @default,
            s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"expected an integer, got '{s}'"),
            v => v.ToString(CultureInfo.InvariantCulture),
            v => v < min ? $"must be ≥ {min}, got {v}" : v > max ? $"must be ≤ {max}, got {v}" : null);

    /// <summary>A finite float in [min, max] (exclusive ends where asked).</summary>
    public static MethodOption<float> Float(string name, float @default, string help, float min = float.MinValue, float max = float.MaxValue,
                                            bool minExclusive = false, bool maxExclusive = false) =>
        new(name, help, MethodOptionKind.Float, @default,
            s => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new FormatException($"expected a number, got '{s}'"),
            v => v.ToString("R", CultureInfo.InvariantCulture),
            v =>
            {
                bool ok = float.IsFinite(v) && (minExclusive ? v > min : v >= min) && (maxExclusive ? v < max : v <= max);
                if (ok) return null;
                string lo = min == float.MinValue ? "" : (minExclusive ? $"> {F(min)}" : $"≥ {F(min)}");
                string hi = max == float.MaxValue ? "" : (maxExclusive ? $"< {F(max)}" : $"≤ {F(max)}");
                return $"must be a finite number {string.Join(" and ", new[] { lo, hi }.Where(x => x.Length > 0))}, got {F(v)}".TrimEnd();
            });

    public static MethodOption<bool> Bool(string name, bool @default, string help) =>
        new(name, help, MethodOptionKind.Bool, @default,
            s => s.Trim().ToLowerInvariant() switch { "true" or "on" or "1" => true, "false" or "off" or "0" => false, _ => throw new FormatException($"expected true or false, got '{s}'") },
            v => v ? "true" : "false",
            _ => null);

    /// <summary>Free text checked by <paramref name="check"/> (null = valid), e.g. a multi-crop plan or one of a few names.</summary>
    public static MethodOption<string> Text(string name, string @default, string help, Func<string, string?>? check = null) =>
        new(name, help, MethodOptionKind.Text, @default, s => s, v => v, check ?? (_ => null));

    /// <summary>One of <paramref name="choices"/> (compared lower-case).</summary>
    public static MethodOption<string> Choice(string name, string @default, string help, params string[] choices) =>
        new(name, help + $" ({string.Join("|", choices)})", MethodOptionKind.Text, @default, s => s.Trim().ToLowerInvariant(), v => v,
            v => choices.Contains(v) ? null : $"expected one of {string.Join(", ", choices)}, got '{v}'");

    private static string F(float v) => v.ToString("G", CultureInfo.InvariantCulture);
}

/// <summary>A typed <see cref="MethodOption"/>.</summary>
public sealed class MethodOption<T> : MethodOption
{
    private readonly Func<string, T> parse;
    private readonly Func<T, string> format;
    private readonly Func<T, string?> check;

    internal MethodOption(string name, string help, MethodOptionKind kind, T @default, Func<string, T> parse, Func<T, string> format, Func<T, string?> check)
        : base(name, help)
    {
        Kind = kind;
        Default = @default;
        this.parse = parse;
        this.format = format;
        this.check = check;
        if (check(@default) is string bad) throw new ArgumentException($"Method option '{name}': its default {bad}.");
    }

    public T Default { get; }

    public override MethodOptionKind Kind { get; }

    public override string DefaultText => format(Default);

    public string Format(T value) => format(value);

    /// <summary>The value of <paramref name="text"/>; throws ArgumentException naming the flag when it is not valid.</summary>
    public T Parse(string text)
    {
        if (Check(text) is string reason) throw new ArgumentException($"{Flag} {reason}.");
        return parse(text);
    }

    /// <summary>
    /// Throws ArgumentOutOfRangeException ("SimCLR: --temperature must be …") when
    /// <paramref name="value"/> breaks this option's rule, so that an options record built in code
    /// is held to the same rule as a value parsed from a flag or a configuration file.
    /// </summary>
    public void Require(T value, string method)
    {
        if (check(value) is string reason) throw new ArgumentOutOfRangeException(Name, $"{method}: {Flag} {reason}.");
    }

    public override string? Check(string text)
    {
        T value;
        try { value = parse(text); }
        catch (FormatException e) { return e.Message; }
        return check(value);
    }
}
