using System.Collections.Concurrent;

namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// The rows of a profile by name. A counter, once handed out, stays the row of its name for the
/// recorder's lifetime (callers may cache it): <see cref="Clear"/> zeroes the counters instead of
/// dropping them, and rows without calls are left out of <see cref="Entries"/>.
/// </summary>
public sealed class ProfileRecorder
{
    private readonly ConcurrentDictionary<string, ProfileCounter> counters = new();

    public ProfileCounter Counter(string name, ProfileEntryKind kind, bool nested = false) =>
        counters.GetOrAdd(name, static (n, a) => new ProfileCounter(n, a.kind, a.nested), (kind, nested));

    public void Clear()
    {
        foreach (var c in counters.Values) c.Clear();
    }

    /// <summary>Rows with at least one call, largest total time first (then by name).</summary>
    public IReadOnlyList<ProfileEntry> Entries() =>
        counters.Values.Select(c => c.Entry()).Where(e => e.Calls > 0)
            .OrderByDescending(e => e.TotalMs).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
}
