using System.Buffers.Binary;
using System.Text;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Tests.Data;
using NUnit.Framework;
using StbImageWriteSharp;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>The inputs the fuzz tests found parser bugs with, each pinned as a test of its own.</summary>
[NonParallelizable]
public class FuzzRegressionTests
{
    /// <summary>Runs <paramref name="parse"/> on a worker with a time bound; returns its exception and the managed bytes it allocated.</summary>
    private static (Exception? Error, long Allocated) Bounded(Action parse)
    {
        Exception? error = null;
        long allocated = 0;
        var task = Task.Run(() =>
        {
            long before = GC.GetTotalAllocatedBytes(precise: false);
            try { parse(); } catch (Exception e) { error = e; }
            allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
        });
        Assert.That(task.Wait(TimeSpan.FromSeconds(10)), Is.True, "the parser returns");
        return (error, allocated);
    }

    // ---- YamlDotNet: InvalidOperationException from its scanner -----------------------------

    [Test]
    public void AYamlScannerFailureIsAConfigurationError()
    {
        // yaml config input 257: an unclosed flow sequence running into the next lines.
        const string text = "# a run of NPID\nmethod: npid\ndataset: fashion-mnist\ndata_path: /tmp/nowhere\nepochs: 2\nbatch_size: 64\nlr: 0.03\n" +
                            "schedule: multistep\nmilestones: [\ndata-mnist\ndata_path: /1, 2]\nlimit: 0\nseed: 7\nonline_probe: false\n" +
                            "method_options:\n  negatives: 64\n  negatives: 64\n  temperature: 0.07";
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(new TrainingConfig(), text, "run.yaml"));
        Assert.That(e!.Message, Does.StartWith("run.yaml").And.Contain("not valid YAML"));
    }

    // ---- safetensors: text of the header that is not valid Unicode, offsets that are not numbers ----

    private static byte[] WithHeader(string header)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    [Test]
    public void ASafetensorsHeaderWithInvalidUtf8IsAFormatError()
    {
        var b = WithHeader("{\"__metadata__\":{\"arch\":\"sm@ll\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        b[8 + "{\"__metadata__\":{\"arch\":\"sm".Length] = 0xC0; // a lone UTF-8 lead byte inside a string
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Parse(b, "x.safetensors"));
        Assert.That(e!.Message, Does.StartWith("x.safetensors: ").And.Contain("UTF-8"));
    }

    [Test]
    public void ASafetensorsNameWithALoneSurrogateIsAFormatError()
    {
        var b = WithHeader("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Parse(b, "x.safetensors"));
        Assert.That(e!.Message, Does.Contain("not valid Unicode"));
    }

    [Test]
    public void SafetensorsDataOffsetsThatAreStringsAreAFormatError()
    {
        var b = WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}");
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Parse(b, "x.safetensors"));
        Assert.That(e!.Message, Does.Contain("data_offsets").And.Contain("two integers"));
    }

    // ---- images: lengths and sizes the decoder trusted ---------------------------------------

    private static byte[] Png(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 29 % 251);
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(rgb, w, h, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    private static Exception? LoadImage(TempDir tmp, string name, byte[] bytes, long maxAllocated)
    {
        string path = Path.Combine(tmp.Sub("a"), name);
        File.WriteAllBytes(path, bytes);
        var (error, allocated) = Bounded(() => ImageFolderReader.Load(tmp.Path, 3));
        Assert.That(allocated, Is.LessThan(maxAllocated), "allocated bytes");
        Assert.That(error, Is.TypeOf<DataFormatException>());
        Assert.That(((DataFormatException)error!).FilePath, Is.EqualTo(path));
        return error;
    }

    [Test]
    public void APngChunkLengthBeyondTheFileIsRefusedBeforeAllocating()
    {
        // image folder (png) input 788: the IDAT chunk of a 75-byte file declared 268 435 561 bytes; the decoder allocated 537 MB.
        using var tmp = new TempDir();
        var png = Png(12, 10);
        Assert.That(Encoding.ASCII.GetString(png, 37, 4), Is.EqualTo("IDAT"));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(33), 0x10000069);
        var e = LoadImage(tmp, "img.png", png, 4 << 20);
        Assert.That(e!.Message, Does.Contain("PNG chunk 'IDAT'").And.Contain("268435561"));
    }

    [Test]
    public void APngDeclaringMorePixelsThanItCanHoldIsRefused()
    {
        using var tmp = new TempDir();
        var png = Png(12, 10);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 60000); // IHDR width
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 60000); // IHDR height
        var e = LoadImage(tmp, "img.png", png, 4 << 20);
        Assert.That(e!.Message, Does.Contain("60000×60000"));
    }

    [Test]
    public void AJpegSegmentPastTheEndDoesNotHang()
    {
        // image folder (jpeg) input 1076: SOI and an APP0 segment declaring 16 bytes in an 8-byte file; the decoder never returned.
        using var tmp = new TempDir();
        var e = LoadImage(tmp, "img.jpg", Convert.FromHexString("FFD8FFE000104A46"), 1 << 20);
        Assert.That(e!.Message, Does.Contain("JPEG segment FFE0").And.Contain("declares 16 bytes"));
    }

    // ---- IDX: a declared count allocated before the file was checked ---------------------------

    [TestCase(1 << 22)]         // 96 MiB declared
    [TestCase(int.MaxValue)]    // more than an array holds: still "truncated", not "use --limit"
    public void AnIdxCountBeyondTheFileIsRefusedBeforeAllocating(int declared)
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "images-idx3-ubyte");
        File.WriteAllBytes(path, DatasetWriters.IdxImages(5, 6, 4, headerCount: declared)); // images of 24 bytes declared, 5 present
        var (error, allocated) = Bounded(() => IdxReader.ReadImages(path));
        Assert.That(error, Is.TypeOf<DataFormatException>());
        Assert.That(error!.Message, Does.Contain("truncated").And.Contain(path));
        Assert.That(allocated, Is.LessThan(1 << 20), "nothing near the declared size is allocated");
    }

    // ---- config.json: null for a value that cannot be null ------------------------------------

    [Test]
    public void NullForARequiredConfigValueIsAConfigurationError()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingConfig.FromJson("{\"method\": null}", "config.json"));
        Assert.That(e!.Message, Does.StartWith("config.json").And.Contain("method"));
    }
}
