using System.Collections.Concurrent;
using System.Diagnostics;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Optional wall-clock accounting per primitive family of the cpu backend (the bench's
/// <c>resnet-step --profile</c>). Each instrumented primitive opens a <see cref="Time"/> scope;
/// when <see cref="Enabled"/> is false that is one static bool test and nothing is recorded.
/// Top-level families are timed on the calling thread, so they add up to the step's wall
/// time; "inner" families (names containing '▸', e.g. the GEMM inside a convolution) are
/// timed on worker threads too and sum thread time, so they can exceed their parent.
/// </summary>
public static class CpuProfile
{
    private sealed class Counter { public long Ticks; public long Calls; }

    private static readonly ConcurrentDictionary<string, Counter> counters = new();

    public static bool Enabled { get; set; }

    public static Scope Time(string family) => Enabled ? new Scope(family, Stopwatch.GetTimestamp()) : default;

    public static void Reset() => counters.Clear();

    /// <summary>(family, total ms, calls), largest first.</summary>
    public static IReadOnlyList<(string Family, double Ms, long Calls)> Snapshot() =>
        counters.Select(kv => (kv.Key, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Calls))
                .OrderByDescending(e => e.Item2).ToList();

    public readonly struct Scope(string? family, long start) : IDisposable
    {
        public void Dispose()
        {
            if (family is null) return;
            var c = counters.GetOrAdd(family, _ => new Counter());
            Interlocked.Add(ref c.Ticks, Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref c.Calls);
        }
    }
}
