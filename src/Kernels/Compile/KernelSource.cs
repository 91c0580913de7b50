using System.Reflection;

namespace NativeContrastive.Kernels.Compile;

/// <summary>
/// One kernels-cu/&lt;family&gt;.cu with every .cuh header (passed to NVRTC as named headers,
/// since NVRTC has no include path here). Product sources come embedded in this assembly;
/// <see cref="FromText"/> builds one from any text (tests, tools).
/// </summary>
public sealed record KernelSource(string FileName, string Text, IReadOnlyDictionary<string, string> Headers)
{
    private const string Prefix = "kernels-cu/";

    public string Family => Path.GetFileNameWithoutExtension(FileName);

    /// <summary>The families embedded in this assembly (file names without .cu), sorted.</summary>
    public static IReadOnlyList<string> Families { get; } = typeof(KernelSource).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix) && n.EndsWith(".cu")).Select(n => n[Prefix.Length..^3]).Order(StringComparer.Ordinal).ToArray();

    private static readonly Lazy<IReadOnlyDictionary<string, string>> EmbeddedHeaders = new(() =>
        typeof(KernelSource).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix) && n.EndsWith(".cuh"))
            .ToDictionary(n => n[Prefix.Length..], ReadResource));

    public static KernelSource Load(string family)
    {
        var name = $"{Prefix}{family}.cu";
        if (typeof(KernelSource).Assembly.GetManifestResourceInfo(name) == null)
            throw new ArgumentException($"No kernel family '{family}' (have: {string.Join(", ", Families)}).", nameof(family));
        return new KernelSource($"{family}.cu", ReadResource(name), EmbeddedHeaders.Value);
    }

    /// <summary>A source from text, with the embedded headers (nc_cuda.cuh, philox.cuh …) available to include.</summary>
    public static KernelSource FromText(string fileName, string text) => new(fileName, text, EmbeddedHeaders.Value);

    private static string ReadResource(string name)
    {
        using var s = typeof(KernelSource).Assembly.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
