using NativeContrastive.Kernels.Interop;

namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// Stream capture on the cuda driver (<see cref="IGraphCapture"/>): cuStreamBeginCapture in relaxed mode
/// (allocation stays allowed, so a pool that must grow inside a captured step can), cuStreamEndCapture,
/// then the executable graph of the same topology is updated in place (cuGraphExecUpdate) or a new one
/// instantiated, and cuGraphLaunch queues it on the launch stream. Uploads inside the capture become
/// memcpy nodes reading the pinned staging slots at launch time; the ring keeps those slots untouched
/// until the graph has run (<see cref="StagingRing.BeginCapture"/>). cuBLAS calls are captured by the
/// driver like any stream work.
/// </summary>
public sealed unsafe partial class CudaDriver : IGraphCapture
{
    private readonly GraphCache<nint> graphs = new(exec => CudaApi.cuGraphExecDestroy(exec));
    private bool updateUnavailable;

    public bool IsCapturing => graphs.IsCapturing;

    public GraphStats GraphStats => graphs.Stats;

    public void BeginCapture()
    {
        MakeCurrent();
        graphs.Begin(Name);
        lock (uploads) uploads.BeginCapture();
        int status = CudaApi.cuStreamBeginCapture(Stream.Handle, CudaApi.CU_STREAM_CAPTURE_MODE_RELAXED);
        if (status == 0) return;
        graphs.End(Name);
        lock (uploads) uploads.AbandonCapture();
        CudaException.Check(status, "cuStreamBeginCapture");
    }

    public void EndCaptureAndLaunch()
    {
        MakeCurrent();
        var topology = graphs.End(Name);
        nint graph = 0;
        bool launched = false;
        try
        {
            CudaException.Check(CudaApi.cuStreamEndCapture(Stream.Handle, out graph), "cuStreamEndCapture");
            CudaException.Check(CudaApi.cuGraphLaunch(Executable(topology.Key, graph), Stream.Handle), "cuGraphLaunch");
            launched = true;
            graphs.CountLaunch();
        }
        finally
        {
            if (graph != 0) CudaApi.cuGraphDestroy(graph);   // the executable graph does not need it
            lock (uploads)
            {
                // The staging slots the graph reads are fenced behind it; a graph that never ran read none.
                if (launched) uploads.EndCapture();
                else uploads.AbandonCapture();
            }
            FreeDeferred();
        }
    }

    public void AbandonCapture()
    {
        if (!graphs.IsCapturing) return;
        MakeCurrent();
        graphs.End(Name);
        // Ending the capture discards what it recorded; its status does not matter here (an error path).
        if (CudaApi.cuStreamEndCapture(Stream.Handle, out var graph) == 0 && graph != 0) CudaApi.cuGraphDestroy(graph);
        lock (uploads) uploads.AbandonCapture();
        FreeDeferred();
    }

    /// <summary>The cached executable graph of <paramref name="key"/> updated with <paramref name="graph"/>'s arguments, or a new one.</summary>
    private nint Executable(ulong key, nint graph)
    {
        if (!updateUnavailable && graphs.TryGet(key, out var cached))
        {
            int status;
            try
            {
                status = CudaApi.cuGraphExecUpdate(cached, graph, out _);
            }
            catch (EntryPointNotFoundException)
            {
                updateUnavailable = true;   // a driver before CUDA 12: instantiate every time
                status = CudaApi.CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE;
            }
            if (status == 0)
            {
                graphs.CountUpdate();
                return cached;
            }
            // Refused (a node that cannot change in place): the stale graph goes (freed once it finished running).
            if (status != CudaApi.CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE) CudaException.Check(status, "cuGraphExecUpdate");
        }
        CudaException.Check(CudaApi.cuGraphInstantiateWithFlags(out var exec, graph, 0), "cuGraphInstantiateWithFlags");
        graphs.Add(key, exec);
        return exec;
    }

    private void FreeDeferred()
    {
        foreach (var ptr in graphs.TakeDeferredFrees()) CudaException.Check(CudaApi.cuMemFree(ptr));
    }
}
