using ScottPlot;

namespace NativeContrastive.Engine.Training.Runs;

/// <summary>
/// PNG plots of a run's epoch metrics (ScottPlot, rendered headless): training loss and kNN
/// top-1 against the epoch. Written atomically; nothing is written while there is nothing to
/// draw (no epoch, or no evaluated epoch for the kNN plot).
/// </summary>
public static class Plots
{
    public const string FontName = "DejaVu Sans";
    public const int Width = 800, Height = 500;

    public static void Write(RunFolder folder, IReadOnlyList<EpochMetrics> epochs, string title)
    {
        var trained = epochs.Where(e => e.Epoch > 0 && double.IsFinite(e.Loss)).ToArray();
        if (trained.Length > 0)
            Render(folder.LossPlotPath, $"{title}: training loss", "loss",
                trained.Select(e => (double)e.Epoch).ToArray(), trained.Select(e => e.Loss).ToArray());
        var evaluated = epochs.Where(e => e.KnnTop1 is not null).ToArray();
        if (evaluated.Length > 0)
            Render(folder.KnnPlotPath, $"{title}: kNN top-1 on the test split", "top-1 (%)",
                evaluated.Select(e => (double)e.Epoch).ToArray(), evaluated.Select(e => e.KnnTop1!.Value).ToArray());
    }

    private static void Render(string path, string title, string yLabel, double[] xs, double[] ys)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        var line = plot.Add.Scatter(xs, ys);
        line.LineWidth = 2;
        line.MarkerSize = 6;
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        if (xs.Length == 1) plot.Axes.SetLimitsX(xs[0] - 1, xs[0] + 1);
        byte[] png = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
    }
}
