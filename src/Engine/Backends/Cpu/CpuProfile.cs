using System.Diagnostics;
using System.Runtime.CompilerServices;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Optional wall-clock accounting per primitive of the cpu backend (`nc profile --device cpu`,
/// the bench's <c>resnet-step --profile</c>). Each primitive opens a <see cref="Time(Kernels.Launch.LaunchCost, string)"/> scope
/// named after itself (the caller's method name), optionally declaring its <see cref="LaunchCost"/>
/// for the GB/s and GFLOP/s columns; when <see cref="Enabled"/> is false that is one static bool
/// test and nothing is recorded. Top-level primitives are timed on the calling thread, so they
/// add up to at most the step's wall time; nested rows (names "Parent ▸ part", e.g. the GEMM
/// inside a convolution) are timed on worker threads too and sum thread time, so they can exceed
/// their parent — the report marks them <see cref="ProfileEntry.Nested"/> and leaves them out of totals.
/// The rows come out as the same <see cref="ProfileReport"/> as the kernel profile's.
/// </summary>
public static class CpuProfile
{
    private static readonly ProfileRecorder recorder = new();

    public static bool Enabled { get; set; }

    /// <summary>This profile as an <see cref="IProfileSource"/> (what `nc profile` drives).</summary>
    public static IProfileSource Source { get; } = new CpuProfileSource();

    /// <summary>Times the rest of the calling primitive (or the named nested part, "Parent ▸ part").</summary>
    public static Scope Time([CallerMemberName] string primitive = "") => Time(LaunchCost.None, primitive);

    /// <summary>Times the rest of the calling primitive, which declares <paramref name="cost"/>.</summary>
    public static Scope Time(LaunchCost cost, [CallerMemberName] string primitive = "") =>
        Enabled ? new Scope(recorder.Counter(primitive, ProfileEntryKind.Primitive, primitive.Contains(ProfileEntry.NestedSeparator, StringComparison.Ordinal)), cost, Stopwatch.GetTimestamp()) : default;

    public static void Reset() => recorder.Clear();

    /// <summary>Every primitive called since the last reset, largest total first.</summary>
    public static ProfileReport Snapshot() => new("cpu", "wall clock", recorder.Entries());

    public readonly struct Scope(ProfileCounter? counter, LaunchCost cost, long start) : IDisposable
    {
        public void Dispose()
        {
            if (counter is null) return;
            counter.AddCall(cost);
            counter.AddTime(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private sealed class CpuProfileSource : IProfileSource
    {
        public bool Enabled { get => CpuProfile.Enabled; set => CpuProfile.Enabled = value; }

        public void Reset() => CpuProfile.Reset();

        public ProfileReport Snapshot() => CpuProfile.Snapshot();
    }
}
