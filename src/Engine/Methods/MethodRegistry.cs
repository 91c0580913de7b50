using NativeContrastive.Engine.Methods.Npid;
using NativeContrastive.Engine.Methods.SimClr;
using NativeContrastive.Engine.Methods.Swav;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The methods the trainer knows, by name. This list is the only place the rest of the program
/// learns about methods: to add one, write its folder (options, method, definition) and add one
/// line here. Nothing outside a method's folder compares method names.
/// </summary>
public static class MethodRegistry
{
    private static readonly MethodDefinition[] Definitions =
    [
        new SimClrDefinition(),
        new NpidDefinition(),
        new SwavDefinition(),
        new Nnclr.NnclrDefinition(),
        new SupCon.SupConDefinition(),
        new Supervised.SupervisedDefinition(),
    ];

    /// <summary>Every registered method, in the order shown to users.</summary>
    public static IReadOnlyList<MethodDefinition> All => Definitions;

    public static IReadOnlyList<string> Names { get; } = Definitions.Select(d => d.Name).ToArray();

    /// <summary>The method called <paramref name="name"/> (any case); ArgumentException listing the choices otherwise.</summary>
    public static MethodDefinition Get(string name)
    {
        string key = (name ?? "").Trim().ToLowerInvariant();
        return Definitions.FirstOrDefault(d => d.Name == key)
            ?? throw new ArgumentException($"--method: unknown value '{name}'; expected one of: {string.Join(", ", Names)}.");
    }

    /// <summary>
    /// Every option name any method declares, with the methods that declare it. Methods may share
    /// a name (e.g. "temperature") when the kind is the same; each keeps its own default.
    /// </summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<(MethodDefinition Method, MethodOption Option)> Declarations)> OptionNames { get; } =
        Definitions.SelectMany(d => d.Options.Select(o => (Method: d, Option: o)))
            .GroupBy(x => x.Option.Name)
            .Select(g =>
            {
                var list = g.ToList();
                if (list.Select(x => x.Option.Kind).Distinct().Count() > 1)
                    throw new InvalidOperationException($"Method option '{g.Key}' is declared with different kinds by {string.Join(", ", list.Select(x => x.Method.Name))}.");
                return (g.Key, (IReadOnlyList<(MethodDefinition, MethodOption)>)list.Select(x => (x.Method, x.Option)).ToList());
            })
            .ToList();
}
