namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The values of a method's options as the resolved configuration holds them (invariant text by
/// option name); <see cref="Get{T}"/> returns the typed value, or the option's default when the
/// configuration does not name it (a method built directly, e.g. in a test).
/// </summary>
public sealed class MethodOptionValues(IReadOnlyDictionary<string, string>? values = null)
{
    private readonly IReadOnlyDictionary<string, string> values = values ?? new Dictionary<string, string>();

    public static MethodOptionValues Defaults { get; } = new();

    public T Get<T>(MethodOption<T> option) =>
        values.TryGetValue(option.Name, out var text) ? option.Parse(text) : option.Default;

    public bool Has(MethodOption option) => values.ContainsKey(option.Name);
}
