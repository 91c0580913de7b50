namespace NativeContrastive.Cli.Profile;

/// <summary>A <see cref="ProfileTable"/> as aligned plain text: a header, a rule, one line per row (names left, numbers right).</summary>
internal static class PlainTable
{
    /// <summary>Characters in the widest line.</summary>
    public static int Width(ProfileTable table) => Widths(table).Sum() + 2 * (table.Headers.Count - 1);

    private static int[] Widths(ProfileTable table) => Enumerable.Range(0, table.Headers.Count)
        .Select(c => table.Rows.Select(r => r[c].Length).Prepend(table.Headers[c].Length).Max()).ToArray();

    public static void Write(ProfileTable table, TextWriter output)
    {
        int columns = table.Headers.Count;
        var widths = Widths(table);
        string Line(IReadOnlyList<string> cells) => string.Join("  ", Enumerable.Range(0, columns)
            .Select(c => ProfileTable.IsNumeric(c) ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]))).TrimEnd();
        output.WriteLine(Line(table.Headers));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in table.Rows) output.WriteLine(Line(row));
    }
}
