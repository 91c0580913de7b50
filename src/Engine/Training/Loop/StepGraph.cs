using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// --cuda-graphs: each training step is captured (<see cref="IGraphCapture"/>) and launched as one graph,
/// so the device runs the step's few hundred kernels back to back instead of waiting on one host launch
/// each. The host still runs the step's code every step — the capture records it — and the driver updates
/// the cached executable graph of the same topology with the step's new arguments (learning rate, seeds,
/// buffers) rather than instantiating one, so nothing a step computes on the host has to move to device
/// memory first. The first <see cref="EagerSteps"/> steps run without capture: they compile kernels and fill
/// the memory pool, which then serves the captured steps without new allocations.
/// </summary>
public sealed class StepGraph(IGraphCapture capture)
{
    private long steps;

    /// <summary>Off: steps run eagerly (the profiler's graph-versus-no-graph comparison switches it).</summary>
    public bool Enabled { get; set; } = true;

    public int EagerSteps { get; init; } = 1;

    public GraphStats Stats => capture.GraphStats;

    /// <summary>The step graph of <paramref name="backend"/>'s device or null when <paramref name="enabled"/> is false.</summary>
    public static StepGraph? For(IBackend backend, bool enabled)
    {
        if (!enabled) return null;
        return backend is DeviceBackend { Driver: IGraphCapture capture } ? new StepGraph(capture)
            : throw new TrainingException($"--cuda-graphs needs a device that launches kernels (cuda or emu), not {backend.Name}.");
    }

    /// <summary>Runs <paramref name="step"/>, captured and launched as one graph once past the eager steps.</summary>
    public void Run(Action step)
    {
        if (!Enabled || steps++ < EagerSteps)
        {
            step();
            return;
        }
        capture.BeginCapture();
        try
        {
            step();
        }
        catch (GraphCaptureException e)
        {
            capture.AbandonCapture();
            throw new TrainingException($"the training step cannot run as a graph: {e.Message} Run without --cuda-graphs.", e);
        }
        catch
        {
            capture.AbandonCapture();
            throw;
        }
        capture.EndCaptureAndLaunch();
    }
}
