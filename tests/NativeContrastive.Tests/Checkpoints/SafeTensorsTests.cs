using System.Buffers.Binary;
using System.Text;
using NativeContrastive.Engine.Checkpoints;
using NUnit.Framework;

namespace NativeContrastive.Tests.CheckpointTests;

/// <summary>The safetensors reader/writer: a byte-exact file from the spec, round trips, every malformed case.</summary>
public class SafeTensorsTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(), "nc-st-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    [Test]
    public void TinyFileMatchesTheSpecByteForByte()
    {
        var f = new SafeTensorsFile();
        f.AddFloat32("a", [2], [1f, -2f]);
        // Header: {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 5 + 15 + 12 + 20 + 2 = 54 bytes,
        // padded with 2 spaces to 56 (a multiple of 8) → length field 56 = 0x38 little-endian.
        // Data: 1.0f = 0x3F800000, −2.0f = 0xC0000000, each little-endian.
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Assert.That(header.Length, Is.EqualTo(54));
        var expected = new List<byte> { 0x38, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(header + "  "));
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 });
        Assert.That(f.ToBytes(), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void MetadataIsWrittenFirstAsStrings()
    {
        var f = new SafeTensorsFile();
        f.Metadata["arch"] = "resnet18";
        f.AddUInt8("u", [1], [7]);
        var bytes = f.ToBytes();
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.EqualTo(0));
        Assert.That(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(),
            Is.EqualTo("{\"__metadata__\":{\"arch\":\"resnet18\"},\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"));
    }

    [Test]
    public void RoundTripAllDTypesShapesAndMetadata()
    {
        var f = new SafeTensorsFile();
        f.Metadata["arch"] = "small";
        f.Metadata["step"] = "123";
        f.AddFloat32("layer1.0.conv1.weight", [2, 1, 1, 3], [1.5f, -0f, float.MaxValue, 1e-30f, 3f, -7f]);
        f.AddInt64("step", [], [1L << 40]);
        f.AddInt32("labels", [3], [-1, 0, int.MaxValue]);
        f.AddUInt8("mask", [2, 2], [0, 1, 254, 255]);
        f.AddFloat32("empty", [0, 4], []);
        string path = Path.Combine(dir, "a.safetensors");
        f.Write(path);
        var g = SafeTensorsFile.Read(path);
        Assert.That(g.Path, Is.EqualTo(path));
        Assert.That(g.Metadata, Is.EqualTo(f.Metadata));
        Assert.That(g.Tensors.Select(t => t.Name), Is.EqualTo(f.Tensors.Select(t => t.Name)));
        foreach (var t in f.Tensors)
        {
            Assert.That(g[t.Name].DType, Is.EqualTo(t.DType));
            Assert.That(g[t.Name].Shape, Is.EqualTo(t.Shape));
            Assert.That(g[t.Name].Data, Is.EqualTo(t.Data));
        }
        Assert.That(g["step"].ToInt64(), Is.EqualTo(new[] { 1L << 40 }));
        Assert.That(g["labels"].ToInt32(), Is.EqualTo(new[] { -1, 0, int.MaxValue }));
        Assert.That(g["layer1.0.conv1.weight"].ToFloat32()[2], Is.EqualTo(float.MaxValue));
    }

    [Test]
    public void WriteIsAtomicAndOverwrites()
    {
        string path = Path.Combine(dir, "c.safetensors");
        File.WriteAllText(path, "old contents");
        var f = new SafeTensorsFile();
        f.AddFloat32("x", [1], [4f]);
        f.Write(path);
        Assert.That(SafeTensorsFile.Read(path)["x"].ToFloat32(), Is.EqualTo(new[] { 4f }));
        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }), "no temporary file left behind");
    }

    // ---- malformed files ------------------------------------------------------------

    private string WriteRaw(string header, byte[] data, long? headerLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(headerLength ?? h.Length));
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = Path.Combine(dir, "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Fails(string path)
    {
        var ex = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Read(path));
        Assert.That(ex!.Message, Does.StartWith(path + ":"));
        Assert.That(ex.FilePath, Is.EqualTo(path));
        return ex.Message;
    }

    [Test]
    public void MissingFile() =>
        Assert.That(Fails(Path.Combine(dir, "nope.safetensors")), Does.Contain("cannot read"));

    [Test]
    public void TruncatedBeforeTheLengthField()
    {
        string path = Path.Combine(dir, "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(Fails(path), Does.Contain("3 bytes, expected at least 8"));
    }

    [Test]
    public void HeaderLengthBeyondTheFile() =>
        Assert.That(Fails(WriteRaw("{}", [], headerLength: 500)), Does.Contain("header length 500").And.Contain("only 2 bytes follow"));

    [Test]
    public void HeaderNotJson() =>
        Assert.That(Fails(WriteRaw("{\"a\": [", [])), Does.Contain("not valid JSON"));

    [Test]
    public void UnknownDType() =>
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", [0])),
            Does.Contain("tensor 'a'").And.Contain("unknown dtype 'F8_E4M3'").And.Contain("F32, I64, I32, U8"));

    [Test]
    public void OffsetsOutOfRange() =>
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4])),
            Does.Contain("data_offsets [0, 8] out of range of the 4-byte data buffer"));

    [Test]
    public void ElementCountDiffersFromShapeProduct() =>
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20])),
            Does.Contain("shape [2,3] has 6 elements (24 bytes of F32)").And.Contain("hold 20 bytes"));

    [Test]
    public void HoleInTheDataBuffer() =>
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", new byte[4])),
            Does.Contain("starts at byte 2, expected 0"));

    [Test]
    public void TrailingBytes() =>
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[5])),
            Does.Contain("data buffer is 5 bytes, the tensors cover 2"));

    [Test]
    public void NegativeDimensionAndBadMetadata()
    {
        Assert.That(Fails(WriteRaw("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", [])), Does.Contain("not a dimension"));
        Assert.That(Fails(WriteRaw("{\"__metadata__\":{\"step\":5}}", [])), Does.Contain("metadata 'step' must be a string"));
        Assert.That(Fails(WriteRaw("[1,2]", [])), Does.Contain("must be a JSON object"));
        Assert.That(Fails(WriteRaw("{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", [0])), Does.Contain("\"dtype\""));
    }
}
