using Spectre.Console;

namespace NativeContrastive.Cli.Profile;

/// <summary>
/// A <see cref="ProfileTable"/> as a Spectre.Console table (used when stdout is a terminal).
/// A terminal too narrow for the table without wrapping or cropping gets the plain layout.
/// </summary>
internal static class TerminalTable
{
    /// <summary>Columns the Spectre table needs beyond the plain layout (cell padding and border).</summary>
    private const int Overhead = 12;

    /// <summary>Writes the table; <paramref name="width"/> overrides the terminal's width (tests).</summary>
    public static void Write(ProfileTable table, TextWriter output, int? width = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (width is int w) console.Profile.Width = w;
        if (PlainTable.Width(table) + Overhead > console.Profile.Width)
        {
            PlainTable.Write(table, output);
            return;
        }
        var t = new Table().Border(TableBorder.Simple);
        for (int c = 0; c < table.Headers.Count; c++)
        {
            var column = new TableColumn(Markup.Escape(table.Headers[c])).NoWrap();
            t.AddColumn(ProfileTable.IsNumeric(c) ? column.RightAligned() : column);
        }
        foreach (var row in table.Rows) t.AddRow(row.Select(Markup.Escape).ToArray());
        console.Write(t);
    }
}
