using ScottPlot;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// A 2-D embedding (t-SNE) as a PNG scatter plot, one colour per class (Category10, then
/// Category20 beyond ten classes) with a legend of class names on the right; font "DejaVu Sans"
/// as the run plots. Written atomically.
/// </summary>
public static class EmbeddingPlot
{
    public const int Width = 900, Height = 700;

    public static void Write(string path, float[] y, int[] labels, IReadOnlyList<string> classNames, string title)
    {
        int n = labels.Length;
        if (y.Length != 2 * n) throw new ArgumentException($"EmbeddingPlot: {y.Length / 2} points for {n} labels.");
        var plot = new Plot();
        plot.Font.Set(Training.Runs.Plots.FontName);
        IPalette palette = classNames.Count <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
        float size = n > 5000 ? 3f : n > 1000 ? 4f : 6f;
        foreach (int c in labels.Distinct().Order())
        {
            var members = Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray();
            var xs = members.Select(i => (double)y[2 * i]).ToArray();
            var ys = members.Select(i => (double)y[2 * i + 1]).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys, palette.GetColor(Math.Max(c, 0)));
            points.MarkerSize = size;
            points.MarkerShape = MarkerShape.FilledCircle;
            points.LegendText = c >= 0 && c < classNames.Count ? classNames[c] : "unlabeled";
        }
        plot.Title(title);
        plot.XLabel("t-SNE 1");
        plot.YLabel("t-SNE 2");
        plot.ShowLegend(Edge.Right);
        Training.Runs.AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }
}
