namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// What both drivers keep for their graphs: the recording in progress (its <see cref="GraphTopology"/>
/// and the frees deferred until it has run), the executable graphs by topology key, and the counts.
/// Only a few shapes occur in training (the full batch, the last smaller batch of an epoch, a method's
/// phases), so the cache holds <see cref="Capacity"/> graphs and drops the least recently used.
/// </summary>
public sealed class GraphCache<TExec>(Action<TExec> destroy, int capacity = 4) : IDisposable
{
    private readonly LinkedList<(ulong Key, TExec Exec)> graphs = new();
    private readonly List<ulong> deferredFrees = [];
    private long launches, instantiations, updates;
    private int lastNodes;

    public int Capacity { get; } = capacity;

    /// <summary>The recording in progress, or null outside a capture.</summary>
    public GraphTopology? Recording { get; private set; }

    public bool IsCapturing => Recording is not null;

    public GraphStats Stats => new(launches, instantiations, updates, lastNodes);

    public void Begin(string driver)
    {
        if (Recording is not null) throw new GraphCaptureException($"{driver}: a graph capture is already in progress.");
        Recording = new GraphTopology();
    }

    /// <summary>Ends the recording and returns its topology; throws when none was in progress.</summary>
    public GraphTopology End(string driver)
    {
        var recording = Recording ?? throw new GraphCaptureException($"{driver}: no graph capture is in progress.");
        Recording = null;
        lastNodes = recording.Nodes;
        return recording;
    }

    /// <summary>The cached graph of <paramref name="key"/>, now the most recently used, or default.</summary>
    public bool TryGet(ulong key, out TExec exec)
    {
        var node = Find(key);
        exec = node is null ? default! : node.Value.Exec;
        if (node is null) return false;
        graphs.Remove(node);
        graphs.AddFirst(node);
        return true;
    }

    /// <summary>Caches a newly instantiated graph (replacing one of the same key), evicting the least recently used beyond capacity.</summary>
    public void Add(ulong key, TExec exec)
    {
        Remove(key);
        graphs.AddFirst((key, exec));
        instantiations++;
        while (graphs.Count > Capacity)
        {
            destroy(graphs.Last!.Value.Exec);
            graphs.RemoveLast();
        }
    }

    /// <summary>Drops (and destroys) the graph of <paramref name="key"/>, e.g. after a refused update.</summary>
    public void Remove(ulong key)
    {
        if (Find(key) is not { } node) return;
        destroy(node.Value.Exec);
        graphs.Remove(node);
    }

    private LinkedListNode<(ulong Key, TExec Exec)>? Find(ulong key)
    {
        for (var node = graphs.First; node is not null; node = node.Next)
            if (node.Value.Key == key) return node;
        return null;
    }

    public void CountUpdate() => updates++;

    public void CountLaunch() => launches++;

    /// <summary>While capturing, records a free to run after the graph (true); otherwise false: free now.</summary>
    public bool DeferFreeIfCapturing(ulong ptr)
    {
        if (Recording is null) return false;
        deferredFrees.Add(ptr);
        return true;
    }

    /// <summary>Refuses work that needs the device to have run what the capture has only recorded.</summary>
    public void ThrowIfCapturing(string driver, string what)
    {
        if (Recording is not null)
            throw new GraphCaptureException($"{driver}: {what} inside a graph capture; the captured work has not run yet (read results after the graph is launched).");
    }

    /// <summary>The deferred frees, to run now that the graph is queued (or the capture was abandoned).</summary>
    public List<ulong> TakeDeferredFrees()
    {
        var frees = new List<ulong>(deferredFrees);
        deferredFrees.Clear();
        return frees;
    }

    public void Dispose()
    {
        foreach (var (_, exec) in graphs) destroy(exec);
        graphs.Clear();
    }
}
