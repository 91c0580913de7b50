using System.Globalization;

namespace NativeContrastive.Engine.Methods.Swav;

/// <summary>
/// SwAV's multi-crop (Caron et al. 2020, §3.2): groups of views of one size each, written
/// "2x100%,6x50%" — count × side, the side in pixels ("6x16") or as a percentage of the training
/// image side ("6x50%"), optionally with the group's crop-area range ("6x16:0.05-0.14"). The first
/// group holds the full-size views whose codes are computed (it needs at least 2 views); without a
/// range, it crops 0.14–1 of the image and every later group 0.05–0.14 (SwAV's defaults).
/// </summary>
public sealed record MultiCropPlan(IReadOnlyList<MultiCropPlan.Group> Groups)
{
    /// <summary>One resolution group: <paramref name="Count"/> views of side <paramref name="Size"/>, crop area in [ScaleMin, ScaleMax].</summary>
    public sealed record Group(int Count, int Size, float ScaleMin, float ScaleMax);

    public const float LargeScaleMin = 0.14f, LargeScaleMax = 1f, SmallScaleMin = 0.05f, SmallScaleMax = 0.14f;

    /// <summary>Views per sample over all groups.</summary>
    public int ViewCount => Groups.Sum(g => g.Count);

    /// <summary>Problem with <paramref name="text"/> as a plan (null when it parses); sizes are checked against an image side of 28 only for syntax.</summary>
    public static string? Check(string text)
    {
        try { Parse(text, 28); return null; }
        catch (FormatException e) { return e.Message; }
    }

    /// <summary>The plan of <paramref name="text"/> for training images of side <paramref name="imageSize"/>; FormatException explains a bad one.</summary>
    public static MultiCropPlan Parse(string text, int imageSize)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0))
            throw new FormatException($"expected groups like '2x100%,6x50%' (count x side[%][:min-max]), got '{text}'");
        var groups = new List<Group>();
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            string spec = part, range = "";
            int colon = part.IndexOf(':');
            if (colon >= 0) { spec = part[..colon]; range = part[(colon + 1)..]; }
            var countSize = spec.Split('x');
            if (countSize.Length != 2 || !int.TryParse(countSize[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
                throw new FormatException($"group '{part}': expected count x side, e.g. 2x28 or 6x50%");
            int size = Side(countSize[1], imageSize, part);
            var (lo, hi) = i == 0 ? (LargeScaleMin, LargeScaleMax) : (SmallScaleMin, SmallScaleMax);
            if (range.Length > 0)
            {
                var bounds = range.Split('-');
                if (bounds.Length != 2 || !float.TryParse(bounds[0], NumberStyles.Float, CultureInfo.InvariantCulture, out lo)
                    || !float.TryParse(bounds[1], NumberStyles.Float, CultureInfo.InvariantCulture, out hi) || !(lo > 0 && lo <= hi && hi <= 1))
                    throw new FormatException($"group '{part}': crop-area range must be min-max with 0 < min ≤ max ≤ 1");
            }
            groups.Add(new Group(count, size, lo, hi));
        }
        if (groups[0].Count < 2) throw new FormatException($"the first group holds the two full-size views whose codes are computed: it needs a count ≥ 2, got {groups[0].Count}");
        if (groups.Sum(g => g.Count) > 64) throw new FormatException($"at most 64 views per sample, got {groups.Sum(g => g.Count)}");
        return new MultiCropPlan(groups);
    }

    private static int Side(string text, int imageSize, string part)
    {
        if (text.EndsWith('%'))
        {
            if (!float.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out float pct) || !(pct > 0 && pct <= 400))
                throw new FormatException($"group '{part}': a percentage side must be in (0, 400]%");
            return Math.Max(8, (int)Math.Round(imageSize * pct / 100.0));
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int px) || px < 8)
            throw new FormatException($"group '{part}': the side must be ≥ 8 pixels or a percentage, got '{text}'");
        return px;
    }
}
