using System.Globalization;

namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// Finds values that are not finite (NaN, +Infinity, −Infinity) in weights, optimiser state and
/// features, so a diverged run or a damaged checkpoint is reported by name instead of being
/// scored (a kNN over NaN similarities "classifies" every image, a NaN weight spreads to every
/// feature). <see cref="FindFirst"/> checks device tensors with one reduction each on their
/// backend and a single read; the host copy is made only when something is wrong.
/// </summary>
public static class NonFinite
{
    /// <summary>The index of the first value that is not finite, or −1.</summary>
    public static long FirstIndex(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>e.g. "2 of 288 values are not finite (first: NaN at element 5)"; null when every value is finite.</summary>
    public static string? Describe(ReadOnlySpan<float> values)
    {
        long first = FirstIndex(values);
        if (first < 0) return null;
        long count = 0;
        for (long i = first; i < values.Length; i++)
            if (!float.IsFinite(values[(int)i])) count++;
        return string.Create(CultureInfo.InvariantCulture,
            $"{count} of {values.Length} value{(values.Length == 1 ? " is" : "s are")} not finite (first: {Show(values[(int)first])} at element {first})");
    }

    /// <summary>"NaN", "Infinity" or "-Infinity".</summary>
    public static string Show(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    /// <summary>
    /// The first of <paramref name="tensors"/> (in order) holding a value that is not finite, with
    /// <see cref="Describe"/>'s account of it; null when every value is finite. Σ of each tensor on
    /// its backend, added up, read once: NaN and ±Infinity survive a sum, so a finite total clears
    /// them all; a total that is not finite (or a sum of huge finite values that overflowed) is
    /// checked element by element on the host.
    /// </summary>
    public static (string Name, string What)? FindFirst(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.Where(t => t.Tensor.Length > 0).ToList();
        if (list.Count == 0) return null;
        bool suspect = false;
        foreach (var group in list.GroupBy(t => t.Tensor.Backend))
        {
            var backend = group.Key;
            using var total = Tensor.Zeros(backend, 1);
            using var part = Tensor.Empty(backend, 1);
            foreach (var (_, t) in group)
            {
                backend.Sum(t, part);
                backend.Add(total, part, total);
            }
            if (!float.IsFinite(total.Item())) suspect = true;
        }
        if (!suspect) return null;
        foreach (var (name, t) in list)
            if (Describe(t.ToArray()) is string what) return (name, what);
        return null;
    }
}
