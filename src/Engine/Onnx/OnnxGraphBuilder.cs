using System.Globalization;
using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Onnx;

/// <summary>
/// Collects the nodes and initializers of one ONNX graph while modules describe their forward pass
/// (<see cref="Module.ExportOnnx"/>). Parameters and buffers become initializers under their
/// state-dict names (the prefix of the module they were registered with: "encoder.conv1.weight"),
/// copied from the backend once; every node output is named "&lt;op&gt;_&lt;n&gt;" and its rank is
/// tracked, because a layer's ONNX form can depend on it (batch norm over [N, C] or [N, C, H, W]).
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly Dictionary<Tensor, string> tensorNames = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> emitted = [];
    private readonly Dictionary<string, int> ranks = [];
    private readonly List<OnnxNode> nodes = [];
    private readonly List<OnnxInitializer> initializers = [];
    private int counter;

    internal IReadOnlyList<OnnxNode> Nodes => nodes;

    internal IReadOnlyList<OnnxInitializer> Initializers => initializers;

    /// <summary>Makes the tensors of <paramref name="module"/> known under "<paramref name="prefix"/>&lt;state-dict name&gt;".</summary>
    public void AddModule(Module module, string prefix)
    {
        foreach (var (name, t) in module.StateDict(prefix)) tensorNames.TryAdd(t, name);
    }

    /// <summary>Declares a graph input (or any value made outside the builder) of rank <paramref name="rank"/>.</summary>
    public string Declare(string name, int rank)
    {
        ranks[name] = rank;
        return name;
    }

    /// <summary>Rank of a value made by <see cref="Node"/> or <see cref="Declare"/>.</summary>
    public int Rank(string value) =>
        ranks.TryGetValue(value, out int r) ? r : throw new InvalidOperationException($"ONNX export: no rank known for value '{value}'.");

    /// <summary>The initializer holding <paramref name="tensor"/> (a parameter or buffer of a module given to <see cref="AddModule"/>).</summary>
    public string Initializer(Tensor tensor)
    {
        if (!tensorNames.TryGetValue(tensor, out var name))
            throw new InvalidOperationException($"ONNX export: tensor {tensor.Name ?? "(unnamed)"} belongs to no exported module.");
        if (emitted.Add(name))
            initializers.Add(new OnnxInitializer(name, tensor.Shape.Select(d => (long)d).ToArray(), tensor.ToArray()));
        ranks[name] = tensor.Rank;
        return name;
    }

    /// <summary>A constant float initializer computed by the exporter (e.g. a folded batch-norm scale).</summary>
    public string Constant(string name, long[] dims, float[] data)
    {
        if (!emitted.Add(name)) throw new InvalidOperationException($"ONNX export: initializer '{name}' defined twice.");
        initializers.Add(new OnnxInitializer(name, dims, data));
        ranks[name] = dims.Length;
        return name;
    }

    /// <summary>Appends a node of the default domain with one output of rank <paramref name="outputRank"/>; returns the output's name.</summary>
    public string Node(string opType, string[] inputs, int outputRank, params OnnxAttribute[] attributes)
    {
        string output = string.Create(CultureInfo.InvariantCulture, $"{opType.ToLowerInvariant()}_{counter++}");
        nodes.Add(new OnnxNode(opType, output, inputs, [output], attributes));
        ranks[output] = outputRank;
        return output;
    }

    /// <summary>Gives the value <paramref name="value"/> the name <paramref name="name"/> (an Identity node), e.g. for a graph output.</summary>
    public string Rename(string value, string name)
    {
        nodes.Add(new OnnxNode("Identity", name, [value], [name], []));
        ranks[name] = Rank(value);
        return name;
    }
}
