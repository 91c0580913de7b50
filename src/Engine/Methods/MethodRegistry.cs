using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// Name → method. <see cref="Describe"/> tells the trainer what to build (views, head kind
/// and sizes); <see cref="Create"/> builds the method from the encoder and head it made.
/// Adding a method is one entry here plus its file.
/// </summary>
public static class MethodRegistry
{
    public const string SimClrName = "simclr";
    public const string NpidName = "npid";

    /// <summary>Registered names, in the order shown to users.</summary>
    public static IReadOnlyList<string> Names { get; } = [SimClrName, NpidName];

    public static MethodInfo Describe(string name) => Normalise(name) switch
    {
        SimClrName => new MethodInfo(SimClrName, 2, HeadKind.Projector, "projector.", new SimClrOptions().ProjectionDim, null, true),
        NpidName => new MethodInfo(NpidName, 1, HeadKind.Embed, "embed.", new NpidOptions().EmbedDim, null, false),
        _ => throw Unknown(name),
    };

    /// <summary>
    /// Builds the method. <paramref name="head"/> is the projector (simclr) or the embed head
    /// (npid) made as <see cref="Describe"/> says; options default to each method's defaults.
    /// <paramref name="dataSize"/> and <paramref name="seed"/> size and seed NPID's bank and negatives.
    /// </summary>
    public static ContrastiveMethod Create(string name, Module encoder, Module head, int dataSize, IBackend backend, ulong seed,
                                           SimClrOptions? simClr = null, NpidOptions? npid = null) => Normalise(name) switch
    {
        SimClrName => new SimClr(encoder, head, simClr ?? new SimClrOptions()),
        NpidName => new Npid(encoder, head, dataSize, (npid ?? new NpidOptions()).EmbedDim, npid ?? new NpidOptions(), backend, seed),
        _ => throw Unknown(name),
    };

    private static string Normalise(string name) => (name ?? "").Trim().ToLowerInvariant();

    private static ArgumentException Unknown(string name)
        => new($"Unknown method '{name}'. Choices: {string.Join(", ", Names)}.", nameof(name));
}
