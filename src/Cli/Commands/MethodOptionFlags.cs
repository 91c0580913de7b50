using System.CommandLine;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Training.Configuration;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// The command-line flags of the methods' own options, made from the registry: one flag per
/// option name (methods that share a name, such as --temperature, share the flag), typed by the
/// option's kind, validated by the option's own check at parse time (exit 2), and written into
/// <see cref="TrainingConfig.MethodOptions"/>. The help text names the methods and their defaults.
/// A flag of another method than the one trained is rejected when the configuration resolves.
/// </summary>
internal static class MethodOptionFlags
{
    public static IEnumerable<IConfigBinding> Bindings() =>
        MethodRegistry.OptionNames.Select(entry => Binding(entry.Name, entry.Declarations));

    private static IConfigBinding Binding(string name, IReadOnlyList<(MethodDefinition Method, MethodOption Option)> declarations)
    {
        var first = declarations[0].Option;
        string owners = string.Join("/", declarations.Select(d => d.Method.Name));
        string defaults = string.Join(", ", declarations.Select(d => declarations.Count == 1 ? Shown(d.Option) : $"{d.Method.Name} {Shown(d.Option)}"));
        string help = $"{owners}: {first.Help} [default: {defaults}]";
        return first.Kind switch
        {
            MethodOptionKind.Int => Typed<int>(first, help, v => Flags.Format(v)),
            MethodOptionKind.Float => Typed<float>(first, help, v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            MethodOptionKind.Bool => Typed<bool>(first, help, v => v ? "true" : "false"),
            _ => Typed<string>(first, help, v => v),
        };

        IConfigBinding Typed<T>(MethodOption option, string description, Func<T, string> text)
        {
            var flag = new Option<T>(option.Flag) { Description = description };
            flag.Validators.Add(r =>
            {
                if (!Flags.TryValue(r, out T v) || v is null) return;
                // Each declaring method checks the value; one that every declaration rejects is a usage error.
                var reasons = declarations.Select(d => d.Option.Check(text(v))).ToList();
                if (reasons.All(x => x is not null)) r.AddError($"{option.Flag} {reasons[0]}.");
            });
            return new ConfigBinding<T>(flag, (c, v) => c.WithMethodOption(option.Name, text(v)));
        }
    }

    private static string Shown(MethodOption o) => o.Kind == MethodOptionKind.Bool ? (o.DefaultText == "true" ? "on" : "off") : o.DefaultText;
}
