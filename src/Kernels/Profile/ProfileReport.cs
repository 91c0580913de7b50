using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;

namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// Everything a <see cref="IProfileSource"/> recorded, largest total time first.
/// <see cref="Clock"/> says how times were taken ("CUDA events": device time between events
/// recorded on the stream around each launch; "wall clock": host time around synchronous calls).
/// <see cref="Peaks"/>, when known (a cuda device), are what the device allows (memory bandwidth;
/// FP32 throughput and the dense TF32 / BF16 tensor-core throughput), for comparing each row's
/// achieved GB/s and GFLOP/s with: a row's GFLOP/s against the peak of the unit its FLOPs ran on
/// (<see cref="PeakFor"/>).
/// </summary>
public sealed record ProfileReport(string Device, string Clock, IReadOnlyList<ProfileEntry> Entries, CudaDevicePeaks? Peaks = null)
{
    public double? PeakGigabytesPerSecond => Peaks?.MemoryGigabytesPerSecond;

    public double? PeakGigaflopsPerSecond => Peaks?.Fp32GigaflopsPerSecond;

    public double? PeakTf32GigaflopsPerSecond => Peaks?.Tf32TensorGigaflopsPerSecond;

    public double? PeakBf16GigaflopsPerSecond => Peaks?.Bf16TensorGigaflopsPerSecond;

    /// <summary>The GFLOP/s peak of FLOPs run at <paramref name="math"/>; null when the device does not say.</summary>
    public double? PeakFor(Precision math) => Peaks?.GigaflopsPerSecond(math);

    /// <summary>Time of the top-level rows (nested rows are inside them).</summary>
    public double TotalMs => Entries.Where(e => !e.Nested).Sum(e => e.TotalMs);

    /// <summary>Calls of the top-level rows.</summary>
    public long TotalCalls => Entries.Where(e => !e.Nested).Sum(e => e.Calls);

    public ProfileEntry? this[string name] => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>
    /// The rows for reading: top-level rows by total time, each followed by its nested rows (by
    /// total time); nested rows whose parent has no row come last.
    /// </summary>
    public IReadOnlyList<ProfileEntry> PartsUnderParents()
    {
        var parts = Entries.Where(e => e.Parent is not null).ToLookup(e => e.Parent!);
        var result = new List<ProfileEntry>(Entries.Count);
        foreach (var top in Entries.Where(e => !e.Nested))
        {
            result.Add(top);
            result.AddRange(parts[top.Name]);
        }
        result.AddRange(Entries.Where(e => e.Nested && !result.Contains(e)));
        return result;
    }
}
