using Google.Protobuf;

namespace NativeContrastive.Engine.Onnx;

/// <summary>
/// The subset of onnx.proto (ONNX IR, https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) that an
/// exported encoder needs, written by hand as plain classes serialised with Google.Protobuf's
/// <see cref="CodedOutputStream"/>. Field numbers are those of onnx.proto; nested messages are written
/// length-delimited (serialised first, then copied with their length), which is how protobuf encodes
/// every embedded message. Only writing is supported.
/// </summary>
internal static class OnnxProto
{
    /// <summary>TensorProto.DataType values used here.</summary>
    public const int Float = 1, Int64 = 7;

    /// <summary>AttributeProto.AttributeType values used here.</summary>
    public const int AttrFloat = 1, AttrInt = 2, AttrString = 3, AttrInts = 7;

    /// <summary>Serialises a message written by <paramref name="write"/> into bytes.</summary>
    public static byte[] Serialize(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    public static void Message(CodedOutputStream o, int field, byte[] serialized)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(serialized)); // length, then the bytes
    }

    public static void String(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    public static void Int64Field(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }

    public static void Int32Field(CodedOutputStream o, int field, int value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt32(value);
    }
}

/// <summary>An ONNX node attribute (onnx.AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, type = 20).</summary>
public sealed record OnnxAttribute(string Name, int Type, float F = 0, long I = 0, string? S = null, long[]? Ints = null)
{
    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Of(string name, long value) => new(name, OnnxProto.AttrInt, I: value);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Of(string name, float value) => new(name, OnnxProto.AttrFloat, F: value);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Of(string name, params long[] values) => new(name, OnnxProto.AttrInts, Ints: values);

    internal byte[] Serialize() => OnnxProto.Serialize(o =>
    {
        OnnxProto.String(o, 1, Name);
        switch (Type)
        {
            case OnnxProto.AttrFloat: o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(F); break;
            case OnnxProto.AttrInt: OnnxProto.Int64Field(o, 3, I); break;
            case OnnxProto.AttrString:
                o.WriteTag(4, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFromUtf8(S ?? ""));
                break;
            case OnnxProto.AttrInts:
                foreach (long v in Ints ?? []) OnnxProto.Int64Field(o, 8, v); // repeated, unpacked (as onnx writes it)
                break;
            default: throw new InvalidOperationException($"ONNX attribute type {Type} is not written by this exporter.");
        }
        OnnxProto.Int32Field(o, 20, Type);
    });
}

/// <summary>onnx.NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.</summary>
internal sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes)
{
    public byte[] Serialize() => OnnxProto.Serialize(o =>
    {
        foreach (var i in Inputs) OnnxProto.String(o, 1, i);
        foreach (var x in Outputs) OnnxProto.String(o, 2, x);
        OnnxProto.String(o, 3, Name);
        OnnxProto.String(o, 4, OpType);
        foreach (var a in Attributes) OnnxProto.Message(o, 5, a.Serialize());
    });
}

/// <summary>onnx.TensorProto of floats: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian).</summary>
internal sealed record OnnxInitializer(string Name, long[] Dims, float[] Data)
{
    public byte[] Serialize() => OnnxProto.Serialize(o =>
    {
        foreach (long d in Dims) OnnxProto.Int64Field(o, 1, d);
        OnnxProto.Int32Field(o, 2, OnnxProto.Float);
        OnnxProto.String(o, 8, Name);
        var raw = new byte[Data.Length * sizeof(float)];
        Buffer.BlockCopy(Data, 0, raw, 0, raw.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian.");
        o.WriteTag(9, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(raw));
    });
}

/// <summary>
/// onnx.ValueInfoProto (name = 1, type = 2) of a float tensor: TypeProto.tensor_type = 1 →
/// {elem_type = 1, shape = 2 → dim = 1 → {dim_value = 1 | dim_param = 2}}. A null dimension is the
/// symbolic batch size "batch".
/// </summary>
internal sealed record OnnxValueInfo(string Name, long?[] Dims)
{
    public byte[] Serialize() => OnnxProto.Serialize(o =>
    {
        OnnxProto.String(o, 1, Name);
        var shape = OnnxProto.Serialize(s =>
        {
            foreach (var d in Dims)
                OnnxProto.Message(s, 1, OnnxProto.Serialize(dim =>
                {
                    if (d is long v) OnnxProto.Int64Field(dim, 1, v);
                    else OnnxProto.String(dim, 2, "batch");
                }));
        });
        var tensorType = OnnxProto.Serialize(t =>
        {
            OnnxProto.Int32Field(t, 1, OnnxProto.Float);
            OnnxProto.Message(t, 2, shape);
        });
        OnnxProto.Message(o, 2, OnnxProto.Serialize(t => OnnxProto.Message(t, 1, tensorType)));
    });
}

/// <summary>
/// onnx.ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6,
/// graph = 7 (GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12),
/// opset_import = 8 (OperatorSetIdProto: domain = 1, version = 2), metadata_props = 14
/// (StringStringEntryProto: key = 1, value = 2).
/// </summary>
internal sealed class OnnxModel
{
    /// <summary>IR version 8 is the one that goes with opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    public required string GraphName { get; init; }
    public required long Opset { get; init; }
    public string ProducerName { get; init; } = "NativeContrastive";
    public string ProducerVersion { get; init; } = "0.1.0";
    public string DocString { get; init; } = "";
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyList<OnnxInitializer> Initializers { get; init; }
    public required IReadOnlyList<OnnxValueInfo> Inputs { get; init; }
    public required IReadOnlyList<OnnxValueInfo> Outputs { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public byte[] Serialize()
    {
        var graph = OnnxProto.Serialize(g =>
        {
            foreach (var n in Nodes) OnnxProto.Message(g, 1, n.Serialize());
            OnnxProto.String(g, 2, GraphName);
            foreach (var t in Initializers) OnnxProto.Message(g, 5, t.Serialize());
            foreach (var i in Inputs) OnnxProto.Message(g, 11, i.Serialize());
            foreach (var x in Outputs) OnnxProto.Message(g, 12, x.Serialize());
        });
        return OnnxProto.Serialize(o =>
        {
            OnnxProto.Int64Field(o, 1, IrVersion);
            OnnxProto.String(o, 2, ProducerName);
            OnnxProto.String(o, 3, ProducerVersion);
            if (DocString.Length > 0) OnnxProto.String(o, 6, DocString);
            OnnxProto.Message(o, 7, graph);
            OnnxProto.Message(o, 8, OnnxProto.Serialize(op =>
            {
                OnnxProto.String(op, 1, "");
                OnnxProto.Int64Field(op, 2, Opset);
            }));
            foreach (var (k, v) in Metadata)
                OnnxProto.Message(o, 14, OnnxProto.Serialize(e =>
                {
                    OnnxProto.String(e, 1, k);
                    OnnxProto.String(e, 2, v);
                }));
        });
    }
}
