using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// Applies its children in order. Children are named "0", "1", … as in a torch
/// nn.Sequential, so parameter keys read "layer1.0.conv1.weight".
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> layers = new();

    public Sequential(IBackend backend, params IEnumerable<Module> modules) : base(backend)
    {
        foreach (var m in modules) Add(m);
    }

    public int Count => layers.Count;

    public Module this[int index] => layers[index];

    /// <summary>Appends <paramref name="module"/> under the next index name.</summary>
    public T Add<T>(T module) where T : Module
    {
        AddModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return module;
    }

    /// <summary>The layers in order; a Conv2d directly followed by a BatchNorm runs as one op (BatchNorm.ForwardConv: at bf16 the convolution output is stored in bf16).</summary>
    public override Tensor Forward(Tensor x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv && i + 1 < layers.Count && layers[i + 1] is BatchNorm bn)
            {
                x = bn.ForwardConv(conv, x);
                i++;   // the batch norm ran with its convolution
            }
            else x = layers[i].Forward(x);
        }
        return x;
    }

    public override string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input)
    {
        foreach (var m in layers) input = m.ExportOnnx(graph, input);
        return input;
    }
}
