namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// Owns the temporaries of one region of code (typically one training step). Every tensor
/// created while a scope is current is registered with it and disposed when the scope
/// ends, returning its storage to the backend's pool. Results that must outlive the
/// region are moved out with <see cref="Keep{T}"/>. Parameters and other long-lived state
/// are created with <see cref="Suspend"/> active or before any scope begins.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static int suspended;

    private readonly List<IDisposable> owned = new();
    private readonly TensorScope? parent;
    private bool disposed;

    private TensorScope(TensorScope? parent) => this.parent = parent;

    /// <summary>Starts a scope nested in the current one.</summary>
    public static TensorScope Begin()
    {
        var scope = new TensorScope(current);
        current = scope;
        return scope;
    }

    /// <summary>While the returned handle lives, new tensors belong to no scope.</summary>
    public static IDisposable Suspend() => new SuspendHandle();

    internal static void Register(IDisposable tensor)
    {
        if (suspended == 0) current?.owned.Add(tensor);
    }

    /// <summary>Moves a tensor to the enclosing scope (or to no scope) so it survives this one.</summary>
    public T Keep<T>(T tensor) where T : class, IDisposable
    {
        int i = owned.LastIndexOf(tensor);
        if (i >= 0)
        {
            owned.RemoveAt(i);
            parent?.owned.Add(tensor);
        }
        return tensor;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current != this)
            throw new InvalidOperationException("TensorScope disposed out of order: inner scopes must end first.");
        current = parent;
        foreach (var t in owned) t.Dispose();
        owned.Clear();
    }

    private sealed class SuspendHandle : IDisposable
    {
        private bool done;
        public SuspendHandle() => suspended++;
        public void Dispose()
        {
            if (done) return;
            done = true;
            suspended--;
        }
    }
}
