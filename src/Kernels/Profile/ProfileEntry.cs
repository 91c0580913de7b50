using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Profile;

/// <summary>What a profile row measures: a kernel launch, a copy or memset, or a cpu backend primitive.</summary>
public enum ProfileEntryKind { Kernel, Copy, Primitive }

/// <summary>
/// One row of a profile: everything recorded under one name since the last reset.
/// <see cref="Name"/> is "family.cu:kernel" for launches, "copy H2D" / "copy D2H" / "copy D2D" /
/// "memset" for data movement, and the primitive's method name on the cpu. <see cref="Bytes"/>
/// and <see cref="Flops"/> are the sums of what the calls declared (<c>LaunchCost</c>), 0 when
/// none did. A <see cref="Nested"/> row is work inside another row (the GEMM inside a cpu
/// convolution), named "Parent ▸ part"; its time is already part of its parent's and is left
/// out of totals. <see cref="Math"/> is what its FLOPs ran on (<see cref="LaunchCost.Math"/>).
/// </summary>
public sealed record ProfileEntry(string Name, ProfileEntryKind Kind, long Calls, double TotalMs, long Bytes, double Flops, bool Nested = false,
    Precision Math = Precision.Fp32)
{
    /// <summary>Separates a nested row's parent from its part in <see cref="Name"/>.</summary>
    public const string NestedSeparator = " ▸ ";

    /// <summary>The row a nested row is part of ("Conv2dForward" for "Conv2dForward ▸ gemm"); null for top-level rows.</summary>
    public string? Parent => Nested && Name.IndexOf(NestedSeparator, StringComparison.Ordinal) is int i and > 0 ? Name[..i] : null;

    /// <summary>What part of its parent a nested row is ("gemm"); the whole name for top-level rows.</summary>
    public string Part => Parent is string p ? Name[(p.Length + NestedSeparator.Length)..] : Name;

    /// <summary>Mean time per call in microseconds.</summary>
    public double MeanUs => Calls == 0 ? 0 : TotalMs * 1000 / Calls;

    /// <summary>Declared bytes over measured time, 10⁹ bytes per second; null when no bytes were declared.</summary>
    public double? GigabytesPerSecond => Bytes > 0 && TotalMs > 0 ? Bytes / (TotalMs * 1e6) : null;

    /// <summary>Declared FLOPs over measured time, 10⁹ per second; null when no FLOPs were declared.</summary>
    public double? GigaflopsPerSecond => Flops > 0 && TotalMs > 0 ? Flops / (TotalMs * 1e6) : null;
}
