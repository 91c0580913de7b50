using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// The running totals of one profile row. Calls and declared costs are added when a call is
/// made, its time when it is known (at once for wall-clock timing, when the events resolve for
/// CUDA). Thread-safe: cpu primitives add from worker threads.
/// </summary>
public sealed class ProfileCounter
{
    private readonly Lock gate = new();
    private long calls, bytes;
    private double flops, ms;
    private Precision math;

    internal ProfileCounter(string name, ProfileEntryKind kind, bool nested)
    {
        Name = name;
        Kind = kind;
        Nested = nested;
    }

    public string Name { get; }
    public ProfileEntryKind Kind { get; }
    public bool Nested { get; }

    public void AddCall(LaunchCost cost)
    {
        lock (gate)
        {
            calls++;
            bytes += cost.Bytes;
            flops += cost.Flops;
            if (cost.Flops > 0) math = cost.Math;   // one kernel runs its FLOPs on one unit
        }
    }

    public void AddTime(double milliseconds)
    {
        lock (gate) ms += milliseconds;
    }

    internal void Clear()
    {
        lock (gate) { calls = 0; bytes = 0; flops = 0; ms = 0; math = Precision.Fp32; }
    }

    internal ProfileEntry Entry()
    {
        lock (gate) return new ProfileEntry(Name, Kind, calls, ms, bytes, flops, Nested, math);
    }
}
