namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// Stream capture: between <see cref="BeginCapture"/> and <see cref="EndCaptureAndLaunch"/> the driver
/// records its launches, copies to the device, device copies and memsets instead of running them, then
/// runs the recording as one graph. On the cuda driver that is cuStreamBeginCapture … cuGraphLaunch:
/// the device runs the recorded kernels back to back with no host launch between them. Executable
/// graphs are cached by the recording's topology (<see cref="GraphTopology"/>): a step whose kernels,
/// grids and copy sizes are the same as an earlier one only updates the cached graph's arguments
/// (pointers, learning rate, seeds) instead of instantiating a new graph.
/// <para>
/// While capturing, nothing recorded has run yet, so a read to the host or a <see cref="IKernelDriver.Synchronize"/>
/// throws <see cref="GraphCaptureException"/> (the captured code must not need a device result), and a
/// <see cref="IKernelDriver.Free"/> is deferred until the graph has been launched (a recorded kernel may
/// still use the memory). Allocation is allowed. One capture at a time, from one thread.
/// </para>
/// </summary>
public interface IGraphCapture
{
    bool IsCapturing { get; }

    void BeginCapture();

    /// <summary>Ends the capture and launches what was recorded once (queued on the stream like a kernel).</summary>
    void EndCaptureAndLaunch();

    /// <summary>Ends a capture whose recording failed part-way: nothing of it runs, deferred frees happen now.</summary>
    void AbandonCapture();

    /// <summary>Counts since the driver was made.</summary>
    GraphStats GraphStats { get; }
}

/// <summary>
/// Graph counts of a driver: <see cref="Launches"/> graphs run, of which <see cref="Instantiations"/> needed a
/// new executable graph and <see cref="Updates"/> re-used a cached one with new arguments; the last graph's
/// node count (kernels, copies, memsets).
/// </summary>
public readonly record struct GraphStats(long Launches, long Instantiations, long Updates, int LastNodes);

/// <summary>Work inside a capture that cannot be captured (a read to the host, a wait for the device).</summary>
public sealed class GraphCaptureException(string message) : InvalidOperationException(message);
