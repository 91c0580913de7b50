using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Checkpoints;

/// <summary>
/// The safetensors format (huggingface/safetensors), readable by torch, numpy, JAX:
/// <code>
/// [8 bytes]  N, the header length, unsigned 64-bit little-endian
/// [N bytes]  UTF-8 JSON object: "name": {"dtype": "F32", "shape": [d0, …], "data_offsets": [begin, end]}
///            per tensor, plus an optional "__metadata__": {string: string}; padded with spaces
///            so the data starts 8-byte aligned
/// [rest]     the byte buffer; offsets are relative to its start, and the tensors tile it
///            exactly (no holes, no overlaps), each row-major little-endian
/// </code>
/// <see cref="Write"/> is atomic: it writes "&lt;path&gt;.tmp-&lt;pid&gt;" and moves it over
/// <c>path</c>, so a crash never leaves a half-written checkpoint. <see cref="Read"/>
/// validates everything and throws <see cref="CheckpointFormatException"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Header lengths above this are rejected as corrupt (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly List<SafeTensor> tensors = new();
    private readonly Dictionary<string, SafeTensor> byName = new();

    /// <summary>The file this was read from (or will be reported as), for messages.</summary>
    public string Path { get; private set; } = "(in memory)";

    /// <summary>Free-form string metadata ("arch", "step", "method", …).</summary>
    public Dictionary<string, string> Metadata { get; } = new();

    /// <summary>Tensors in insertion (or file) order.</summary>
    public IReadOnlyList<SafeTensor> Tensors => tensors;

    public bool Contains(string name) => byName.ContainsKey(name);

    public bool TryGet(string name, out SafeTensor tensor) => byName.TryGetValue(name, out tensor!);

    public SafeTensor this[string name] => byName.TryGetValue(name, out var t) ? t
        : throw new CheckpointFormatException(Path, $"tensor '{name}' not found (the file has {tensors.Count} tensors).");

    public void Add(SafeTensor tensor)
    {
        if (tensor.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved for metadata.");
        if (!byName.TryAdd(tensor.Name, tensor)) throw new ArgumentException($"Tensor '{tensor.Name}' added twice.");
        tensors.Add(tensor);
    }

    public void AddFloat32(string name, int[] shape, ReadOnlySpan<float> values) => Add(new SafeTensor(name, SafeTensorDType.F32, shape, SafeTensor.Bytes(values)));
    public void AddInt64(string name, int[] shape, ReadOnlySpan<long> values) => Add(new SafeTensor(name, SafeTensorDType.I64, shape, SafeTensor.Bytes(values)));
    public void AddInt32(string name, int[] shape, ReadOnlySpan<int> values) => Add(new SafeTensor(name, SafeTensorDType.I32, shape, SafeTensor.Bytes(values)));
    public void AddUInt8(string name, int[] shape, ReadOnlySpan<byte> values) => Add(new SafeTensor(name, SafeTensorDType.U8, shape, values.ToArray()));

    // ---- writing --------------------------------------------------------------------

    /// <summary>The whole file as bytes: length, padded header, data.</summary>
    public byte[] ToBytes()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported.");
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in Metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.LongLength;
            }
            json.WriteEndObject();
        }
        int pad = (int)((8 - header.Length % 8) % 8);
        for (int i = 0; i < pad; i++) header.WriteByte((byte)' ');
        long total = 8 + header.Length + tensors.Sum(t => t.Data.LongLength);
        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.GetBuffer().AsSpan(0, (int)header.Length).CopyTo(bytes.AsSpan(8));
        long at = 8 + header.Length;
        foreach (var t in tensors)
        {
            t.Data.CopyTo(bytes, at);
            at += t.Data.LongLength;
        }
        return bytes;
    }

    /// <summary>Writes atomically: "&lt;path&gt;.tmp-&lt;pid&gt;" first, flushed to disk, then moved over <paramref name="path"/>.</summary>
    public void Write(string path)
    {
        WriteBytes(path, ToBytes());
        Path = path;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> (a file's <see cref="ToBytes"/>) to <paramref name="path"/> as
    /// <see cref="Write"/> does: "&lt;path&gt;.tmp-&lt;pid&gt;", flushed to disk, moved over the target;
    /// a file-system failure is a <see cref="CheckpointFormatException"/> naming the target.
    /// </summary>
    public static void WriteBytes(string path, byte[] bytes)
    {
        string tmp = $"{path}.tmp-{Environment.ProcessId}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new CheckpointFormatException(path, $"cannot write checkpoint: {e.Message}", e);
        }
    }

    // ---- reading --------------------------------------------------------------------

    /// <summary>Reads and validates a safetensors file.</summary>
    public static SafeTensorsFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, $"cannot read checkpoint: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses and validates the bytes of a safetensors file; <paramref name="path"/> names it in messages.</summary>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes, string path)
    {
        Exception Bad(string message) => new CheckpointFormatException(path, message);

        if (bytes.Length < 8)
            throw Bad($"truncated: {bytes.Length} bytes, expected at least 8 (the header length field).");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        long available = bytes.Length - 8;
        if (headerLength > MaxHeaderLength)
            throw Bad($"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes (not a safetensors file?).");
        if ((long)headerLength > available)
            throw Bad($"header length {headerLength} is beyond the file: only {available} bytes follow the length field (truncated file?).");
        var headerBytes = bytes.Slice(8, (int)headerLength);
        var data = bytes[(8 + (int)headerLength)..];

        // JsonDocument validates UTF-8 only when a string is read (and then throws InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw Bad($"header is not valid UTF-8 (the JSON header must be UTF-8 text; the file is damaged).");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"header is not valid JSON: {e.Message}", e);
        }

        var file = new SafeTensorsFile { Path = path };
        var entries = new List<(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End)>();
        using (doc)
        try
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad($"header must be a JSON object, found {doc.RootElement.ValueKind}.");
            var seen = new HashSet<string>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Bad($"key '{prop.Name}' appears twice in the header.");
                if (prop.Name == MetadataKey)
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw Bad($"'{MetadataKey}' must be an object of strings, found {prop.Value.ValueKind}.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad($"metadata '{m.Name}' must be a string, found {m.Value.ValueKind}.");
                        file.Metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(prop, path));
            }
        }
        catch (InvalidOperationException e)
        {
            // A name or string escaping a lone UTF-16 surrogate ("\ud800") cannot be read as text.
            throw new CheckpointFormatException(path, $"header holds a name or string that is not valid Unicode text ({e.Message}).", e);
        }

        foreach (var (name, dtype, shape, begin, end) in entries)
        {
            if (begin < 0 || end < begin || end > data.Length)
                throw Bad($"tensor '{name}': data_offsets [{begin}, {end}] out of range of the {data.Length}-byte data buffer.");
            long count = ShapeUtil.Count(shape);
            long expected = count * dtype.Size();
            if (end - begin != expected)
                throw Bad($"tensor '{name}': shape {ShapeUtil.Format(shape)} has {count} elements ({expected} bytes of {dtype}), data_offsets [{begin}, {end}] hold {end - begin} bytes.");
        }
        // The tensors must tile the buffer: sorted by start, each begins where the previous ended.
        long cursor = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != cursor)
                throw Bad($"tensor '{e.Name}': data starts at byte {e.Begin}, expected {cursor} (the data buffer has a hole or an overlap).");
            cursor = e.End;
        }
        if (cursor != data.Length)
            throw Bad($"data buffer is {data.Length} bytes, the tensors cover {cursor} (trailing bytes or truncated data).");

        foreach (var (name, dtype, shape, begin, end) in entries)
            file.Add(new SafeTensor(name, dtype, shape, data[(int)begin..(int)end].ToArray()));
        return file;
    }

    private static (string, SafeTensorDType, int[], long, long) ParseEntry(JsonProperty prop, string path)
    {
        Exception Bad(string message) => new CheckpointFormatException(path, $"tensor '{prop.Name}': {message}");
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad($"entry must be an object, found {v.ValueKind}.");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad("missing string field \"dtype\".");
        string dtypeName = dt.GetString()!;
        if (!SafeTensorDTypes.TryParse(dtypeName, out var dtype))
            throw Bad($"unknown dtype '{dtypeName}', expected one of: {string.Join(", ", SafeTensorDTypes.Names)}.");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad("missing array field \"shape\".");
        var shape = new List<int>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw Bad($"shape entry {d} is not a dimension (expected an integer 0..{int.MaxValue}).");
            shape.Add(dim);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("missing field \"data_offsets\" (expected [begin, end]).");
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end))
            throw Bad($"data_offsets {off} must be two integers.");
        return (prop.Name, dtype, shape.ToArray(), begin, end);
    }
}
