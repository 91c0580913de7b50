using NativeContrastive.Engine.Data;
using NativeContrastive.Tests.Data;
using NUnit.Framework;
using StbImageWriteSharp;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// An image folder whose one image (PNG or JPEG, decoded by StbImageSharp) is a mutated file:
/// each loads or is a <see cref="DataFormatException"/> naming the image. Width and height fields
/// set to limits must not make the decoder allocate or loop over pixels the file cannot hold.
/// </summary>
[NonParallelizable]
public class ImageFolderFuzzTests
{
    private static byte[] Encode(bool png, int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 29 % 251);
        using var ms = new MemoryStream();
        if (png) new ImageWriter().WritePng(rgb, w, h, ColorComponents.RedGreenBlue, ms);
        else new ImageWriter().WriteJpg(rgb, w, h, ColorComponents.RedGreenBlue, ms, 90);
        return ms.ToArray();
    }

    /// <summary>Offsets of the size fields: PNG's IHDR width and height; JPEG's SOF0 height and width (16-bit, so a 32-bit limit spills into the next field too).</summary>
    private static int[] SizeFields(byte[] file, bool png)
    {
        if (png) return [16, 20, 8, 12];
        for (int i = 0; i + 8 < file.Length; i++)
            if (file[i] == 0xFF && file[i + 1] == 0xC0) return [i + 5, i + 7, i + 3, i + 2];
        throw new InvalidOperationException("no SOF0 marker in the JPEG seed");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void OneImage(bool png)
    {
        using var tmp = new TempDir();
        string root = tmp.Path, path = Path.Combine(tmp.Sub("class_a"), png ? "img.png" : "img.jpg");
        var seed = Encode(png, 12, 10);
        File.WriteAllBytes(path, seed);
        var loaded = ImageFolderReader.Load(root, 3);
        Assert.That((loaded.Count, loaded.Height, loaded.Width), Is.EqualTo((1, 10, 12)));
        var fields = SizeFields(seed, png);
        var mutator = new Mutator(png ? 31 : 32);
        var r = FuzzHarness.Run(png ? "image folder (png)" : "image folder (jpeg)", png ? 1500 : 1200,
            i => i % 3 == 0 ? mutator.Fields(seed, fields, bigEndian: true) : mutator.Bytes(seed),
            bytes =>
            {
                File.WriteAllBytes(path, bytes);
                var ds = ImageFolderReader.Load(root, 3);
                Assert.That(ds.Pixels, Has.Length.EqualTo(3 * ds.Height * ds.Width));
            },
            e => e is DataFormatException d && d.FilePath == path,
            bytes => (4 << 20) + ImageFolderReader.MaxPixelsPerFileByte * 16L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }
}
