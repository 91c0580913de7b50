using System.Globalization;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Onnx;

/// <summary>What <see cref="OnnxExporter.Export(Module, Module?, int, int, string, string, IReadOnlyDictionary{string, string}?)"/> wrote.</summary>
public sealed record OnnxExportResult(string Path, long Bytes, int Nodes, int Initializers, long Parameters, IReadOnlyList<string> Outputs);

/// <summary>
/// Writes a trained encoder (and optionally the method's head) as an ONNX model, opset 17, IR version 8:
/// input "input" [batch, C, S, S] float (already resized and normalised as in training), output
/// "features" [batch, F] (the encoder's output) and, with the head, "head" [batch, P]. Every layer
/// describes its own eval-mode forward pass (<see cref="Module.ExportOnnx"/>): batch norm with the
/// running statistics, weights as initializers under their checkpoint names. Written atomically.
/// </summary>
public static class OnnxExporter
{
    public const long Opset = 17;

    public static OnnxExportResult Export(InferenceModel model, string path, bool withHead)
    {
        if (withHead && model.Head is null)
            throw new ArgumentException($"--with-head: {model.MethodName} has no head after the encoder.");
        var meta = new Dictionary<string, string>
        {
            ["checkpoint"] = Path.GetFullPath(model.Checkpoint.Path),
            ["method"] = model.MethodName,
            ["arch"] = model.Arch,
            ["stem"] = model.Checkpoint.Meta.GetValueOrDefault("stem", ""),
            ["image_size"] = model.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["normalization_mean"] = string.Join(",", model.Normalization.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            ["normalization_std"] = string.Join(",", model.Normalization.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
        };
        return Export(model.Encoder, withHead ? model.Head : null, model.InChannels, model.ImageSize, path,
            $"{model.MethodName} {model.Arch} encoder{(withHead ? " and head" : "")} of {Path.GetFileName(model.Checkpoint.Path)}; input: pixels/255 normalised by (x − mean)/std (metadata)",
            meta);
    }

    /// <summary>Exports <paramref name="encoder"/> (and <paramref name="head"/> on its output) for [batch, channels, size, size] inputs.</summary>
    public static OnnxExportResult Export(Module encoder, Module? head, int channels, int imageSize, string path, string doc = "",
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = Build(encoder, head, channels, imageSize, doc, metadata);
        var bytes = model.Serialize();
        EmbeddingSet.EnsureDirectory(path);
        Training.Runs.AtomicFile.WriteAllBytes(path, bytes);
        return new OnnxExportResult(path, bytes.LongLength, model.Nodes.Count, model.Initializers.Count,
            model.Initializers.Sum(i => (long)i.Data.Length), model.Outputs.Select(o => o.Name).ToArray());
    }

    /// <summary>The ONNX bytes without writing a file (tests, hosts that hand the model on in memory).</summary>
    public static byte[] Serialize(Module encoder, Module? head, int channels, int imageSize) =>
        Build(encoder, head, channels, imageSize, "", null).Serialize();

    private static OnnxModel Build(Module encoder, Module? head, int channels, int imageSize, string doc, IReadOnlyDictionary<string, string>? metadata)
    {
        var graph = new OnnxGraphBuilder();
        graph.AddModule(encoder, "encoder.");
        if (head is not null) graph.AddModule(head, "head.");
        string input = graph.Declare("input", 4);
        string h = encoder.ExportOnnx(graph, input);
        if (graph.Rank(h) != 2) h = graph.Node("Flatten", [h], 2, OnnxAttribute.Of("axis", 1L));
        var outputs = new List<string> { graph.Rename(h, "features") };
        if (head is not null) outputs.Add(graph.Rename(head.ExportOnnx(graph, h), "head"));

        // Output widths from one eval forward pass of a single image (no recording).
        var widths = OutputWidths(encoder, head, channels, imageSize);
        return new OnnxModel
        {
            GraphName = "nativecontrastive",
            Opset = Opset,
            DocString = doc,
            Nodes = graph.Nodes,
            Initializers = graph.Initializers,
            Inputs = [new OnnxValueInfo("input", [null, channels, imageSize, imageSize])],
            Outputs = outputs.Select((o, i) => new OnnxValueInfo(o, [null, widths[i]])).ToArray(),
            Metadata = metadata ?? new Dictionary<string, string>(),
        };
    }

    private static long[] OutputWidths(Module encoder, Module? head, int channels, int imageSize)
    {
        bool encTraining = encoder.IsTraining, headTraining = head?.IsTraining ?? false;
        encoder.Eval();
        head?.Eval();
        try
        {
            using var noGrad = Autograd.Tape.NoGrad();
            using var scope = Tensors.TensorScope.Begin();
            var x = Tensor.Zeros(encoder.Backend, 1, channels, imageSize, imageSize);
            var f = encoder.Forward(x);
            var widths = new List<long> { f.Length };
            if (head is not null) widths.Add(head.Forward(f.Rank == 2 ? f : Autograd.Ops.Flatten(f)).Length);
            return widths.ToArray();
        }
        finally
        {
            encoder.Train(encTraining);
            head?.Train(headTraining);
        }
    }
}
