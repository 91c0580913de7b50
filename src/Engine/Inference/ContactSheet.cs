using StbImageWriteSharp;

namespace NativeContrastive.Engine.Inference;

/// <summary>One row of a contact sheet: the query image, then its neighbours with their scores.</summary>
/// <param name="Query">C×H×W bytes of the query (1 or 3 channels).</param>
/// <param name="Neighbors">C×H×W bytes of each neighbour, best first, with its cosine score and whether its label matches the query's (null: unknown).</param>
public sealed record ContactSheetRow(SheetImage Query, IReadOnlyList<(SheetImage Image, float Score, bool? SameLabel)> Neighbors);

/// <summary>An image to draw: planar C×H×W bytes.</summary>
public sealed record SheetImage(byte[] Pixels, int Channels, int Height, int Width);

/// <summary>
/// A PNG contact sheet (StbImageWriteSharp): one row per query, the query on the left framed in blue, then
/// its neighbours best first, each framed green when its label equals the query's, red when it differs and
/// grey when either is unlabeled, with a bar under it as long as its cosine score (0 at the left edge, 1 the
/// full tile). Images are scaled to <c>tile</c> pixels by nearest neighbour (small images stay crisp).
/// </summary>
public static class ContactSheet
{
    private const int Border = 3, Gap = 6, BarHeight = 5;

    public static void Write(string path, IReadOnlyList<ContactSheetRow> rows, int tile = 84)
    {
        if (rows.Count == 0) throw new ArgumentException("a contact sheet needs at least one query.");
        int columns = 1 + rows.Max(r => r.Neighbors.Count);
        int cell = tile + 2 * Border;
        int width = Gap + columns * (cell + Gap) + Gap; // an extra gap after the query column
        int rowHeight = cell + 2 + BarHeight + Gap;
        int height = Gap + rows.Count * rowHeight;
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        for (int r = 0; r < rows.Count; r++)
        {
            int y = Gap + r * rowHeight;
            Draw(rgb, width, rows[r].Query, Gap, y, tile, (40, 90, 220));
            for (int j = 0; j < rows[r].Neighbors.Count; j++)
            {
                var (image, score, same) = rows[r].Neighbors[j];
                int x = 2 * Gap + (j + 1) * (cell + Gap);
                var frame = same switch { true => ((byte)30, (byte)160, (byte)60), false => ((byte)210, (byte)40, (byte)40), null => ((byte)150, (byte)150, (byte)150) };
                Draw(rgb, width, image, x, y, tile, frame);
                int bar = (int)Math.Round(Math.Clamp(score, 0f, 1f) * cell);
                Fill(rgb, width, x, y + cell + 2, cell, BarHeight, (225, 225, 225));
                Fill(rgb, width, x, y + cell + 2, bar, BarHeight, (60, 60, 60));
            }
        }
        EmbeddingSet.EnsureDirectory(path);
        Training.Runs.AtomicFile.Write(path, stream =>
            new ImageWriter().WritePng(rgb, width, height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream));
    }

    private static void Draw(byte[] rgb, int width, SheetImage img, int x0, int y0, int tile, (byte R, byte G, byte B) frame)
    {
        Fill(rgb, width, x0, y0, tile + 2 * Border, tile + 2 * Border, frame);
        int plane = img.Height * img.Width;
        for (int y = 0; y < tile; y++)
        {
            int sy = Math.Min(img.Height - 1, y * img.Height / tile);
            for (int x = 0; x < tile; x++)
            {
                int sx = Math.Min(img.Width - 1, x * img.Width / tile);
                int at = ((y0 + Border + y) * width + x0 + Border + x) * 3;
                for (int c = 0; c < 3; c++)
                    rgb[at + c] = img.Pixels[(img.Channels == 1 ? 0 : c) * plane + sy * img.Width + sx];
            }
        }
    }

    private static void Fill(byte[] rgb, int width, int x0, int y0, int w, int h, (byte R, byte G, byte B) color)
    {
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++)
            {
                int at = (y * width + x) * 3;
                rgb[at] = color.R;
                rgb[at + 1] = color.G;
                rgb[at + 2] = color.B;
            }
    }
}
