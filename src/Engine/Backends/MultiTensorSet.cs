using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// The tensors of one optimiser for the multi-tensor updates (<see cref="IBackend.SgdMultiUpdate"/>,
/// <see cref="IBackend.AdamMultiUpdate"/>, <see cref="IBackend.LarsMultiUpdate"/>): its parameters (gradients are read from
/// <see cref="Tensor.Grad"/> at each update) and up to two state tensors per parameter, all on one
/// backend. The list is fixed for the optimiser's lifetime, so a device backend builds its table of
/// pointers once, keeps it here (<see cref="BackendTable"/>) and reuses it every step (rebuilt only
/// if a tensor's memory changed). Disposing releases that table, not the tensors.
/// </summary>
public sealed class MultiTensorSet : IDisposable
{
    public MultiTensorSet(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor?>? state1 = null, IReadOnlyList<Tensor?>? state2 = null,
                          IReadOnlyList<bool>? adapt = null)
    {
        if (adapt is not null && adapt.Count != parameters.Count)
            throw new ArgumentException($"MultiTensorSet: {parameters.Count} parameters need as many adapt flags, got {adapt.Count}.");
        if (state1 is not null && state1.Count != parameters.Count || state2 is not null && state2.Count != parameters.Count)
            throw new ArgumentException($"MultiTensorSet: {parameters.Count} parameters need as many state tensors per state.");
        for (int i = 0; i < parameters.Count; i++)
        {
            long n = parameters[i].Length;
            if (state1?[i] is { } a && a.Length != n || state2?[i] is { } b && b.Length != n)
                throw new ArgumentException($"MultiTensorSet: the state of parameter {i} does not have its {n} elements.");
        }
        Parameters = parameters;
        State1 = state1;
        State2 = state2;
        Adapt = adapt;
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>First state per parameter (SGD's momentum buffer, Adam's m); null entries: none.</summary>
    public IReadOnlyList<Tensor?>? State1 { get; }

    /// <summary>Second state per parameter (Adam's v).</summary>
    public IReadOnlyList<Tensor?>? State2 { get; }

    /// <summary>LARS: per parameter, true when it gets weight decay and the trust ratio (false: excluded); null: none.</summary>
    public IReadOnlyList<bool>? Adapt { get; }

    /// <summary>What a backend keeps for this set between steps (the device table); owned by the set.</summary>
    internal IDisposable? BackendTable { get; set; }

    public void Dispose()
    {
        BackendTable?.Dispose();
        BackendTable = null;
    }
}
