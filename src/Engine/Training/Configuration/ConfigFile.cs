using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NativeContrastive.Engine.Methods;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NativeContrastive.Engine.Training.Configuration;

/// <summary>
/// Configuration files for `nc train --config FILE`: YAML (YamlDotNet) with the keys of a run's
/// config.json (snake_case names of <see cref="TrainingConfig"/>, the method's settings under
/// <c>method_options</c>), so a run folder's config.json (JSON is YAML) loads the same way and
/// repeats the run. Only the keys present change the configuration they are applied to (defaults,
/// or on --resume the checkpoint's configuration); command-line flags are applied afterwards and
/// win. Values are converted by the type of their key: integers, numbers, text, null for the
/// optional ones (<c>limit</c> and <c>eval_limit</c> also take 0 for "all", as their flags do), a
/// list of integers for <c>milestones</c>, a mapping of option name to value for
/// <c>method_options</c>. Every problem is one <see cref="ArgumentException"/> naming the file and
/// line and the key: an unknown key (with the known ones listed), a value of the wrong type, an
/// option no registered method declares or a value its declaration rejects, YAML that does not
/// parse.
/// </summary>
public static class ConfigFile
{
    public const string MethodOptionsKey = "method_options";

    private static readonly HashSet<string> ZeroMeansAll = ["limit", "eval_limit"];

    /// <summary>Every key a configuration file may hold, with the property it sets.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Keys { get; } = typeof(TrainingConfig)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), StringComparer.Ordinal);

    /// <summary>The configuration of <paramref name="path"/> over the defaults.</summary>
    public static TrainingConfig Load(string path) => Apply(new TrainingConfig(), path);

    /// <summary><paramref name="baseConfig"/> with the keys of the file at <paramref name="path"/> set.</summary>
    public static TrainingConfig Apply(TrainingConfig baseConfig, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: configuration file not found.", path);
        return Apply(baseConfig, File.ReadAllText(path), path);
    }

    /// <summary>As <see cref="Apply(TrainingConfig, string)"/> for file content <paramref name="text"/> named <paramref name="source"/> in messages.</summary>
    public static TrainingConfig Apply(TrainingConfig baseConfig, string text, string source)
    {
        var root = Parse(text, source);
        var json = JsonNode.Parse(baseConfig.ToJson())!.AsObject();
        foreach (var (keyNode, valueNode) in root.Children)
        {
            string key = Scalar(keyNode, source, "a key") ?? "";
            string where = $"{source}:{keyNode.Start.Line}";
            if (!Keys.TryGetValue(key, out var property))
                throw new ArgumentException($"{where}: unknown key '{key}'; expected one of: {string.Join(", ", Keys.Keys.Order(StringComparer.Ordinal))}.");
            json[key] = key == MethodOptionsKey
                ? MethodOptions(json[key]?.AsObject(), valueNode, source)
                : Value(property.PropertyType, key, valueNode, source, where);
        }
        return TrainingConfig.FromJson(json.ToJsonString(), source);
    }

    private static YamlMappingNode Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ArgumentException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML ({(e.InnerException ?? e).Message.Trim()}).", e);
        }
        catch (ArgumentException e)   // e.g. a key given twice
        {
            throw new ArgumentException($"{source}: not valid YAML ({e.Message.Trim()}).", e);
        }
        if (stream.Documents.Count == 0) throw new ArgumentException($"{source}: the configuration file is empty.");
        if (stream.Documents.Count > 1) throw new ArgumentException($"{source}: expected one YAML document, found {stream.Documents.Count}.");
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new ArgumentException($"{source}:{stream.Documents[0].RootNode.Start.Line}: expected a mapping of option names to values at the top.");
    }

    /// <summary>The text of a scalar node (null for YAML's null), or an error naming what was expected.</summary>
    private static string? Scalar(YamlNode node, string source, string what)
    {
        if (node is not YamlScalarNode s)
            throw new ArgumentException($"{source}:{node.Start.Line}: expected {what}, found a {(node is YamlSequenceNode ? "list" : "mapping")}.");
        bool plain = s.Style is ScalarStyle.Plain or ScalarStyle.Any;
        if (plain && (s.Value is null || s.Value is "" or "~" or "null" or "Null" or "NULL")) return null;
        return s.Value ?? "";
    }

    private static JsonNode? Value(Type type, string key, YamlNode node, string source, string where)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying is not null || !type.IsValueType;
        var target = underlying ?? type;
        if (target == typeof(int[]))
        {
            var items = node switch
            {
                YamlSequenceNode seq => seq.Children.Select(c => Scalar(c, source, "an integer") ?? "").ToList(),
                _ => (Scalar(node, source, "a list of integers") ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).ToList(),
            };
            return new JsonArray(items.Select(t => (JsonNode)JsonValue.Create(Int(t, key, where))!).ToArray());
        }
        string? text = Scalar(node, source, $"a value for '{key}'");
        if (text is null)
            return nullable ? null : throw new ArgumentException($"{where}: key '{key}' needs a value.");
        if (target == typeof(string)) return JsonValue.Create(text);
        if (target == typeof(int))
        {
            int v = Int(text, key, where);
            return v == 0 && ZeroMeansAll.Contains(key) ? null : JsonValue.Create(v);
        }
        if (target == typeof(ulong))
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) ? JsonValue.Create(u)
                : throw new ArgumentException($"{where}: key '{key}': expected a non-negative integer, got '{text}'.");
        if (target == typeof(float))
            return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? JsonValue.Create(f)
                : throw new ArgumentException($"{where}: key '{key}': expected a number, got '{text}'.");
        if (target == typeof(bool))
            return text.ToLowerInvariant() switch
            {
                "true" or "on" or "yes" => JsonValue.Create(true),
                "false" or "off" or "no" => JsonValue.Create(false),
                _ => throw new ArgumentException($"{where}: key '{key}': expected true or false, got '{text}'."),
            };
        throw new InvalidOperationException($"ConfigFile: no conversion for {type.Name} (key '{key}').");
    }

    private static int Int(string text, string key, string where) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
            : throw new ArgumentException($"{where}: key '{key}': expected an integer, got '{text}'.");

    /// <summary>The file's method options merged over <paramref name="current"/>; names must be declared by a registered method and valid for it.</summary>
    private static JsonObject MethodOptions(JsonObject? current, YamlNode node, string source)
    {
        var merged = current is null ? new JsonObject() : JsonNode.Parse(current.ToJsonString())!.AsObject();
        if (node is YamlScalarNode s && Scalar(s, source, "") is null) return merged;
        if (node is not YamlMappingNode map)
            throw new ArgumentException($"{source}:{node.Start.Line}: key '{MethodOptionsKey}' expects a mapping of method option names to values.");
        foreach (var (k, v) in map.Children)
        {
            string name = Scalar(k, source, "a method option name") ?? "";
            string where = $"{source}:{k.Start.Line}";
            var declarations = MethodRegistry.OptionNames.FirstOrDefault(o => o.Name == name).Declarations;
            if (declarations is null)
                throw new ArgumentException($"{where}: unknown key '{MethodOptionsKey}.{name}'; no method declares it (options: {string.Join(", ", MethodRegistry.OptionNames.Select(o => o.Name))}).");
            string text = Scalar(v, source, $"a value for '{name}'") ?? throw new ArgumentException($"{where}: key '{MethodOptionsKey}.{name}' needs a value.");
            var reasons = declarations.Select(d => d.Option.Check(text)).ToList();
            if (reasons.All(r => r is not null)) throw new ArgumentException($"{where}: key '{MethodOptionsKey}.{name}' {reasons[0]}.");
            merged[name] = text;
        }
        return merged;
    }
}
