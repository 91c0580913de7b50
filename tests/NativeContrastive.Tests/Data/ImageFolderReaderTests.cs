using NativeContrastive.Engine.Data;
using NUnit.Framework;
using StbImageWriteSharp;

namespace NativeContrastive.Tests.Data;

public class ImageFolderReaderTests
{
    /// <summary>Interleaved RGB (HWC) pattern for image k.</summary>
    private static byte[] Rgb(int k, int h, int w)
    {
        var p = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) p[(y * w + x) * 3 + c] = DatasetWriters.Pixel(k, c, y, x);
        return p;
    }

    private static void Png(string path, byte[] rgb, int h, int w)
    {
        using var fs = File.Create(path);
        new ImageWriter().WritePng(rgb, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, fs);
    }

    private static void Jpg(string path, byte[] rgb, int h, int w)
    {
        using var fs = File.Create(path);
        new ImageWriter().WriteJpg(rgb, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, fs, 100);
    }

    [Test]
    public void ReadsClassFoldersSortedPngExactJpegClose()
    {
        using var tmp = new TempDir();
        // "b_cat" written first to check sorting; "a_dog" gets the JPEG.
        Png(Path.Combine(tmp.Sub("b_cat"), "0.png"), Rgb(0, 8, 8), 8, 8);
        Png(Path.Combine(tmp.Sub("b_cat"), "1.png"), Rgb(1, 8, 8), 8, 8);
        var flat = new byte[8 * 8 * 3];
        Array.Fill(flat, (byte)120);
        Jpg(Path.Combine(tmp.Sub("a_dog"), "x.jpg"), flat, 8, 8);
        File.WriteAllText(Path.Combine(tmp.Sub("a_dog"), "notes.txt"), "ignored");

        var ds = ImageFolderReader.Load(tmp.Path, channels: 3);
        Assert.That(ds.ClassNames, Is.EqualTo(new[] { "a_dog", "b_cat" }));
        Assert.That(ds.Labels, Is.EqualTo(new[] { 0, 1, 1 }));
        Assert.That((ds.Count, ds.Channels, ds.Height, ds.Width), Is.EqualTo((3, 3, 8, 8)));
        // The PNG comes back exactly, now planar CHW.
        var expected = DatasetWriters.Images(2, 3, 8, 8);
        Assert.That(ds.Pixels.AsSpan(ds.ImageBytes, 2 * ds.ImageBytes).ToArray(), Is.EqualTo(expected));
        // A flat JPEG decodes within ±2 of its value.
        Assert.That(ds.Image(0).ToArray().Select(b => Math.Abs(b - 120)).Max(), Is.LessThanOrEqualTo(2));
    }

    [Test]
    public void ResizesAndConvertsToGrey()
    {
        using var tmp = new TempDir();
        var white = Enumerable.Repeat((byte)255, 10 * 6 * 3).ToArray();
        Png(Path.Combine(tmp.Sub("only"), "w.png"), white, 10, 6);
        var ds = ImageFolderReader.Load(tmp.Path, channels: 1, size: (4, 5));
        Assert.That((ds.Channels, ds.Height, ds.Width), Is.EqualTo((1, 4, 5)));
        Assert.That(ds.Pixels, Is.All.EqualTo((byte)255), "resampling weights sum to 1");
    }

    [Test]
    public void UnreadableImageIsNamed()
    {
        using var tmp = new TempDir();
        Png(Path.Combine(tmp.Sub("a"), "ok.png"), Rgb(0, 4, 4), 4, 4);
        string bad = Path.Combine(tmp.Sub("a"), "zz.png");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolderReader.Load(tmp.Path));
        Assert.That(e!.Message, Does.Contain("zz.png").And.Contain("not a readable"));
    }

    [Test]
    public void CatalogReadsSplitSubFoldersAndRejectsMissingOnes()
    {
        using var tmp = new TempDir();
        Png(Path.Combine(tmp.Sub("train", "k"), "0.png"), Rgb(0, 4, 4), 4, 4);
        var ds = DatasetCatalog.Load("folder", tmp.Path, DataSplit.Train, imageSize: 2);
        Assert.That((ds.Count, ds.Height, ds.Width), Is.EqualTo((1, 2, 2)));
        var e = Assert.Throws<DataFormatException>(() => DatasetCatalog.Load("folder", tmp.Path, DataSplit.Test));
        Assert.That(e!.Message, Does.Contain(tmp.Path).And.Contain("'test'"));
    }
}
