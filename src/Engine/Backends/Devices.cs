using NativeContrastive.Engine.Backends.Cpu;

namespace NativeContrastive.Engine;

/// <summary>Chooses a backend by the <c>--device</c> name.</summary>
public static class Devices
{
    public static readonly string[] Names = ["cpu"];

    public static IBackend Create(string name) => name switch
    {
        "cpu" => CpuBackend.Instance,
        _ => throw new ArgumentException($"Unknown device '{name}'; expected one of: {string.Join(", ", Names)}."),
    };
}
