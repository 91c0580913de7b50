using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// A layer or a model: owns parameters (trainable, with gradients), buffers (state such
/// as batch-norm running statistics) and child modules, each under a name. Full names
/// are dotted paths ("layer1.0.conv1.weight"), the same keys a torchvision state_dict
/// uses, so checkpoints read naturally in other ecosystems.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> parameters = new();
    private readonly List<(string Name, Tensor Tensor)> buffers = new();
    private readonly List<(string Name, Module Module)> children = new();

    protected Module(IBackend backend) => Backend = backend;

    public IBackend Backend { get; }

    /// <summary>True in training mode (batch norm uses batch statistics and updates running ones).</summary>
    public bool IsTraining { get; private set; } = true;

    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// Describes <see cref="Forward"/> in eval mode as ONNX nodes on <paramref name="graph"/> taking the
    /// value <paramref name="input"/>; returns the output value's name. Layers that can be exported
    /// override it beside their Forward; the default names the layer that cannot.
    /// </summary>
    public virtual string ExportOnnx(Onnx.OnnxGraphBuilder graph, string input) =>
        throw new NotSupportedException($"ONNX export: {GetType().Name} has no ONNX form.");

    /// <summary>Creates and registers a parameter (zero-filled; the caller initialises it).</summary>
    protected Tensor AddParameter(string name, params int[] shape)
    {
        var p = Tensor.Parameter(Backend, name, shape);
        parameters.Add((name, p));
        return p;
    }

    /// <summary>Creates and registers a non-trainable buffer filled with <paramref name="value"/>.</summary>
    protected Tensor AddBuffer(string name, float value, params int[] shape)
    {
        using var _ = TensorScope.Suspend();
        var b = Tensor.Full(Backend, value, shape);
        b.Name = name;
        buffers.Add((name, b));
        return b;
    }

    protected T AddModule<T>(string name, T module) where T : Module
    {
        children.Add((name, module));
        return module;
    }

    /// <summary>All parameters with dotted names, in registration order (depth first).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in parameters) yield return (prefix + n, p);
        foreach (var (n, m) in children)
            foreach (var item in m.NamedParameters(prefix + n + ".")) yield return item;
    }

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b) in buffers) yield return (prefix + n, b);
        foreach (var (n, m) in children)
            foreach (var item in m.NamedBuffers(prefix + n + ".")) yield return item;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    /// <summary>This module and every module below it, depth first.</summary>
    public IEnumerable<Module> SelfAndDescendants()
    {
        yield return this;
        foreach (var (_, m) in children)
            foreach (var d in m.SelfAndDescendants()) yield return d;
    }

    /// <summary>Parameters and buffers together: everything a checkpoint must hold.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateDict(string prefix = "") => NamedParameters(prefix).Concat(NamedBuffers(prefix));

    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, m) in children) m.Train(training);
    }

    public void Eval() => Train(false);

    /// <summary>Zeroes every parameter's gradient (lazily: the next backward pass overwrites it, see <see cref="Tensor.Grad"/>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    public long ParameterCount() => Parameters().Sum(p => p.Length);

    public virtual void Dispose()
    {
        foreach (var (_, p) in parameters) p.Dispose();
        foreach (var (_, b) in buffers) b.Dispose();
        foreach (var (_, m) in children) m.Dispose();
        GC.SuppressFinalize(this);
    }
}
