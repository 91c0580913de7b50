using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// The user-facing side of <see cref="Precision"/> (<c>--precision fp32|tf32|bf16</c>, the
/// <c>precision</c> key of a configuration): names (parsed case-insensitively, written lower-case),
/// the per-device default — tf32 on cuda, as PyTorch runs convolutions with TF32 by default on
/// Ampere and later; fp32 on cpu and emu, the references — and <see cref="Use"/>, which sets a
/// backend's precision for a scope and restores the previous one.
/// </summary>
public static class Precisions
{
    /// <summary>"fp32", "tf32", "bf16", in the order of <see cref="Precision"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["fp32", "tf32", "bf16"];

    /// <summary>The lower-case name of <paramref name="precision"/>.</summary>
    public static string Format(Precision precision) => precision switch
    {
        Precision.Fp32 => "fp32",
        Precision.Tf32 => "tf32",
        Precision.Bf16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a precision"),
    };

    /// <summary>Parses a name (any case, surrounding blanks ignored); false for anything else.</summary>
    public static bool TryParse(string? name, out Precision precision)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "fp32": precision = Precision.Fp32; return true;
            case "tf32": precision = Precision.Tf32; return true;
            case "bf16": precision = Precision.Bf16; return true;
            default: precision = Precision.Fp32; return false;
        }
    }

    /// <summary>Parses a name; an unknown one throws ArgumentException naming <paramref name="flag"/> and the known names.</summary>
    public static Precision Parse(string name, string flag = "--precision") =>
        TryParse(name, out var p) ? p : throw new ArgumentException(UnknownMessage(name, flag) + ".");

    /// <summary>"--precision: unknown value 'fp16'; expected one of: fp32, tf32, bf16" (no final period: the CLI's usage line adds its own context).</summary>
    public static string UnknownMessage(string? value, string flag = "--precision") =>
        $"{flag}: unknown value '{value}'; expected one of: {string.Join(", ", Names)}";

    /// <summary>The precision a device runs with when none is asked for: tf32 on cuda, fp32 on cpu and emu.</summary>
    public static Precision DefaultFor(string device) =>
        device.Trim().ToLowerInvariant() == "cuda" ? Precision.Tf32 : Precision.Fp32;

    /// <summary>The named precision, or <paramref name="device"/>'s default when <paramref name="name"/> is null.</summary>
    public static Precision Resolve(string? name, string device) => name is null ? DefaultFor(device) : Parse(name);

    /// <summary>
    /// Sets <paramref name="backend"/>'s precision to <paramref name="precision"/> until the result is
    /// disposed, which restores the precision it had before. Backends are shared per process (one per
    /// device), so scopes nest: dispose them in reverse order.
    /// </summary>
    public static IDisposable Use(IBackend backend, Precision precision)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var scope = new Scope(backend, backend.Precision);
        backend.Precision = precision;
        return scope;
    }

    private sealed class Scope(IBackend backend, Precision previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            backend.Precision = previous;
        }
    }
}
