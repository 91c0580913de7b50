namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// Stream capture on the emulator (<see cref="IGraphCapture"/>): while capturing, launches, copies to the
/// device (their bytes taken at the call, as the cuda driver's pinned staging slot holds them), device
/// copies and memsets are appended to a list instead of running, and <see cref="EndCaptureAndLaunch"/>
/// runs the list in order. The rules of a cuda capture are enforced here the same way (no read to the
/// host, no wait, frees deferred), so a step that cannot be captured fails in the emu tests, not first on a GPU.
/// </summary>
public sealed unsafe partial class EmuDriver : IGraphCapture
{
    // The recording runs once, right after the capture, so the cache keeps no operations: it only tells
    // an update (a topology seen before) from an instantiation, for the same counts as the cuda driver's.
    private readonly GraphCache<int> graphs = new(_ => { });
    private List<Action>? recording;

    public bool IsCapturing => graphs.IsCapturing;

    public GraphStats GraphStats => graphs.Stats;

    public void BeginCapture()
    {
        graphs.Begin(Name);
        recording = [];
    }

    public void EndCaptureAndLaunch()
    {
        var topology = graphs.End(Name);
        var ops = recording!;
        recording = null;
        // Counted as the cuda driver counts: a topology seen before is an update (cuGraphExecUpdate), a new one an instantiation.
        if (graphs.TryGet(topology.Key, out _)) graphs.CountUpdate();
        else graphs.Add(topology.Key, topology.Nodes);
        graphs.CountLaunch();
        try
        {
            foreach (var op in ops) op();
        }
        finally
        {
            FreeDeferred();
        }
    }

    public void AbandonCapture()
    {
        if (!graphs.IsCapturing) return;
        graphs.End(Name);
        recording = null;
        FreeDeferred();
    }

    private void FreeDeferred()
    {
        foreach (var ptr in graphs.TakeDeferredFrees()) Free(ptr);
    }

    private bool RecordCopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        if (!graphs.IsCapturing) return false;
        var bytes = src.ToArray();
        return Record(GraphNodeKind.CopyToDevice, bytes.Length, () => bytes.CopyTo(new Span<byte>((void*)dst, bytes.Length)));
    }

    private bool Record(GraphNodeKind kind, long bytes, Action op)
    {
        if (graphs.Recording is not { } topology) return false;
        topology.Transfer(kind, bytes);
        recording!.Add(op);
        return true;
    }

    private bool RecordLaunch(KernelFunction function, Dim3 grid, Dim3 block, uint sharedBytes, KernelArgs args)
    {
        if (graphs.Recording is not { } topology) return false;
        topology.Kernel(function, grid, block, sharedBytes);
        var values = args.Copy();
        recording!.Add(() => Run(function, grid, block, sharedBytes, values));
        return true;
    }
}
