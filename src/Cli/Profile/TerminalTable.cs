using Spectre.Console;

namespace NativeContrastive.Cli.Profile;

/// <summary>A <see cref="ProfileTable"/> as a Spectre.Console table (used when stdout is a terminal).</summary>
internal static class TerminalTable
{
    public static void Write(ProfileTable table, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var t = new Table().Border(TableBorder.Simple);
        for (int c = 0; c < table.Headers.Count; c++)
        {
            var column = new TableColumn(Markup.Escape(table.Headers[c]));
            t.AddColumn(ProfileTable.IsNumeric(c) ? column.RightAligned() : column);
        }
        foreach (var row in table.Rows) t.AddRow(row.Select(Markup.Escape).ToArray());
        console.Write(t);
    }
}
